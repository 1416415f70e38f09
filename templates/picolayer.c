/* picolayer.so: the fast path of the JSON codec (json.l) and of the runtime's Runtime API exchanges (runtime.l),
 * loaded with 'native'. It works on the interpreter's own cells, through functions its executable exports
 * (cons, consNum, consStr, findSym, sighandler; the same in pil21 23.2 and 25.8): values are decoded straight
 * into cells and encoded straight from them, without a text for PicoLisp's reader or printer in between.
 *
 *   plInit(NIL T true false null number)   the symbols of the data model; 1 when the interpreter exports
 *                       what the helper needs (json.l uses its PicoLisp code otherwise)
 *   plParse(root, sym)  the JSON text that is the name of sym -> its value in (car root): 1; 0 when the text
 *                       is not valid RFC 8259 JSON (plError says why); 2 when it holds what only json.l
 *                       builds (an integer of 19 digits or more)
 *   plReadFd(root, fd)  the same for the text in the memory file fd (see plMemfd)
 *   plPack(any, syms)   the value -> its JSON text by json.l's encoding rules; NULL when it holds anything but
 *                       numbers of up to 60 bits, named symbols and proper lists (json.l then encodes it itself
 *                       and names any problem). syms is (symbols), to tell strings from internal symbols.
 *                       plEncode(any, syms) keeps the text for plSend instead and returns its length.
 *   plNames(lst), plAnswer(fd, root, event, stall, small), plSend(fd, lst, kind, text), plForget()
 *                       runtime.l's exchanges with the Runtime API over its socket, see there
 *   plError(), plMemfd(), plClear(fd)
 *
 * Garbage collection can run inside every cons, consNum or consStr: each new cell is stored at once into a cell
 * that is reachable from root (or is an argument of the call that links it), so nothing half-built is ever lost.
 * Every string returned stays valid until the next call. Compiled by build-pil21.sh with the interpreter's own
 * C compiler; json.l and runtime.l fall back to their pure PicoLisp code when the library is absent. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <linux/memfd.h>

#define MAX_DEPTH 10000
#define MAX_HEAD 65536

typedef uint64_t any;

/* The interpreter's functions (weak: where one is missing, plInit says no and nothing here is used) */
extern any cons(any, any) __attribute__((weak));
extern any consNum(uint64_t, any) __attribute__((weak));
extern any consStr(any) __attribute__((weak));
extern _Bool findSym(any, any, any) __attribute__((weak));
extern void sighandler(any) __attribute__((weak));

/* Cells: two words, car and cdr. A number has bit 1 (short: 60 bits and a sign) or bit 2 (big) set, a symbol
 * bit 3 (it points to its value, the cdr of its cell; the car is its tail: properties, then the name) */
#define CAR(x) (*(any *)(x))
#define CDR(x) (*(any *)((x) + 8))
#define IS_NUM(x) ((x) & 6)
#define IS_SYM(x) ((x) & 8)
#define ZERO ((any)2)
#define SHORT(n) (((any)(n) << 4) | 2)

static any Nil, T, True, False, Null, Number;

/* Eight bytes at once: whether any is below 0x20, '"' or '\\' (what a JSON string must escape); exact, as no
 * borrow runs past a byte that matches */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define BELOW(w, b) (((w) - (b) * ONES) & ~(w) & HIGHS)
#define ZEROS(w) BELOW(w, 1)

static int plain8(uint64_t w) {
   return !(BELOW(w, 0x20) | ZEROS(w ^ ('"' * ONES)) | ZEROS(w ^ ('\\' * ONES)));
}

/* Past the bytes from s that a JSON string holds as they are (up to e) */
static const unsigned char *plainRun(const unsigned char *s, const unsigned char *e) {
   uint64_t w;
   while (s + 8 <= e && (memcpy(&w, s, 8), plain8(w)))
      s += 8;
   while (s < e && *s >= 32 && *s != '"' && *s != '\\')
      ++s;
   return s;
}

typedef struct {
   char *p;
   size_t len, cap;
   int failed;
} Buf;

static Buf Out, Str, Text;
static char Err[200];
static int Unhandled;

static void put(Buf *b, const void *s, size_t n) {
   if (b->failed)
      return;
   if (b->len + n + 1 > b->cap) {
      size_t cap = b->cap ? b->cap : 4096;
      while (b->len + n + 1 > cap)
         cap *= 2;
      char *p = realloc(b->p, cap);
      if (!p) {
         b->failed = 1;
         return;
      }
      b->p = p;
      b->cap = cap;
   }
   memcpy(b->p + b->len, s, n);
   b->len += n;
   b->p[b->len] = '\0';
}

/* Room for n more bytes in b: 1, or 0 when memory ran out */
static int reserve(Buf *b, size_t n) {
   if (b->len + n + 1 <= b->cap)
      return 1;
   size_t len = b->len;
   b->len = b->cap + n;  /* put grows the buffer to hold this much (it doubles) */
   put(b, "", 0);
   b->len = len;
   return !b->failed;
}

static void putc1(Buf *b, char c) {
   if (b->len + 2 <= b->cap) {
      b->p[b->len++] = c;
      b->p[b->len] = '\0';
   }
   else
      put(b, &c, 1);
}

static void reset(Buf *b) {
   b->len = 0;
   b->failed = 0;
   if (b->cap > (1 << 22)) {  /* give back what a large value took */
      free(b->p);
      b->p = NULL;
      b->cap = 0;
   }
   put(b, "", 0);
}

const char *plError(void) {
   return Err;
}

int plInit(any nil, any t, any tru, any fals, any nul, any number) {
   Nil = nil, T = t, True = tru, False = fals, Null = nul, Number = number;
   return cons && consNum && consStr && findSym;
}

/* A symbol's name (the number at the end of its tail, after the properties); 0 for an external or anonymous
 * symbol */
static any nameOf(any x) {
   any t = CAR(x - 8);
   if (t & 8)
      return 0;
   while (!IS_NUM(t))
      t = CDR(t);
   return t == ZERO ? 0 : t;
}

/* The bytes of a symbol's name appended to b; 0 for an external or anonymous symbol */
static int symName(any x, Buf *b) {
   any t = nameOf(x);
   if (!t)
      return 0;
   for (;;) {
      if (!reserve(b, 8))
         return 1;
      uint64_t c = t & 2 ? t >> 4 : CAR(t - 4);
      if (!(t & 2) && !ZEROS(c))  /* a digit holds eight bytes */
         memcpy(b->p + b->len, &c, 8), b->len += 8;
      else {  /* a zero byte before others ends the name, as for the interpreter (symByte) */
         for (int i = 0; i < 8 && (c & 255); ++i, c >>= 8)
            b->p[b->len++] = (char)(c & 255);
         if (c) {
            b->p[b->len] = '\0';
            return 1;
         }
      }
      b->p[b->len] = '\0';
      if (t & 2)
         return 1;
      t = CDR(t - 4);
   }
}

/* A transient symbol named by the n bytes at s (up to a NUL, as a PicoLisp name cannot hold one; none: NIL).
 * A name is a number: the bytes in little-endian order, 8 to each digit of a big number and the last 0 to 7 in
 * the short number ending it (as the interpreter's byteSym packs them), made here from the last digit back, so
 * that each new cell holds the ones made before it. */
static any mkStr(const char *s, size_t n) {
   const char *nul = memchr(s, 0, n);
   n = nul ? (size_t)(nul - s) : n;
   size_t digits = n / 8;
   uint64_t last = 0;
   for (size_t i = n; i > digits * 8; --i)
      last = last << 8 | (unsigned char)s[i - 1];
   any name = SHORT(last);
   for (size_t d = digits; d > 0; --d) {
      uint64_t digit;
      memcpy(&digit, s + (d - 1) * 8, 8);  /* little-endian, as on every target the build supports */
      name = consNum(digit, name);
   }
   return consStr(name);
}

/*** Decoding ***/
typedef struct {
   const unsigned char *s, *end, *start;
   int depth;
} In;

static int bad(In *in, const char *what) {
   snprintf(Err, sizeof Err, "JSON: %s at byte %ld", what, (long)(in->s - in->start));
   return 0;
}

static void ws(In *in) {
   while (in->s < in->end && (*in->s == ' ' || *in->s == '\n' || *in->s == '\r' || *in->s == '\t'))
      ++in->s;
}

static void utf8(unsigned cp) {
   char b[4];
   if (cp < 0x80)
      putc1(&Str, (char)cp);
   else if (cp < 0x800) {
      b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 63));
      put(&Str, b, 2);
   }
   else if (cp < 0x10000) {
      b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | (cp >> 6 & 63)), b[2] = (char)(0x80 | (cp & 63));
      put(&Str, b, 3);
   }
   else {
      b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | (cp >> 12 & 63));
      b[2] = (char)(0x80 | (cp >> 6 & 63)), b[3] = (char)(0x80 | (cp & 63));
      put(&Str, b, 4);
   }
}

static int hex4(In *in, unsigned *n) {
   *n = 0;
   for (int i = 0; i < 4; ++i, ++in->s) {
      if (in->s >= in->end)
         return bad(in, "unterminated string");
      unsigned c = *in->s, d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (c >= 'a' && c <= 'f') d = c - 87;
      else if (c >= 'A' && c <= 'F') d = c - 55;
      else return bad(in, "bad hex digit in \\u escape");
      *n = *n * 16 + d;
   }
   return 1;
}

/* A code point of \u escapes that is not a high surrogate (json.l's jsonUChar) */
static int uchar(In *in, unsigned n) {
   if (n == 0)
      return bad(in, "\\u0000 cannot be held in a PicoLisp string");
   utf8(n >= 0xD800 && n <= 0xDFFF ? 0xFFFD : n);
   return 1;
}

static int escape(In *in);

/* After "\u": joins surrogate pairs; a lone surrogate becomes U+FFFD */
static int unicode(In *in) {
   unsigned n, m;
   if (!hex4(in, &n))
      return 0;
   if (n < 0xD800 || n > 0xDBFF)
      return uchar(in, n);
   if (in->s >= in->end || *in->s != '\\') {
      utf8(0xFFFD);
      return 1;
   }
   if (in->s + 1 >= in->end || in->s[1] != 'u') {
      utf8(0xFFFD);
      ++in->s;
      return escape(in);
   }
   in->s += 2;
   if (!hex4(in, &m))
      return 0;
   if (m >= 0xDC00 && m <= 0xDFFF) {
      utf8(0x10000 + ((n - 0xD800) << 10) + (m - 0xDC00));
      return 1;
   }
   utf8(0xFFFD);
   return uchar(in, m);
}

/* After a backslash */
static int escape(In *in) {
   if (in->s >= in->end)
      return bad(in, "unterminated string");
   unsigned char c = *in->s++;
   switch (c) {
   case '"': case '\\': case '/': putc1(&Str, (char)c); return 1;
   case 'b': putc1(&Str, 8); return 1;
   case 'f': putc1(&Str, 12); return 1;
   case 'n': putc1(&Str, 10); return 1;
   case 'r': putc1(&Str, 13); return 1;
   case 't': putc1(&Str, 9); return 1;
   case 'u': return unicode(in);
   default: --in->s; return bad(in, "bad escape in string");
   }
}

/* After the opening quote: the string's bytes at StrP, StrN of them: in the text itself when it has no escape,
 * else in Str (the text is valid UTF-8: a PicoLisp name, or checked) */
static const char *StrP;
static size_t StrN;

static int string(In *in) {
   const unsigned char *run = in->s;
   in->s = plainRun(in->s, in->end);
   if (in->s < in->end && *in->s == '"') {
      StrP = (const char *)run, StrN = (size_t)(in->s++ - run);
      return 1;
   }
   reset(&Str);
   for (;;) {
      put(&Str, run, (size_t)(in->s - run));
      if (in->s >= in->end)
         return bad(in, "unterminated string");
      unsigned char c = *in->s++;
      if (c == '"')
         break;
      if (c != '\\') {
         --in->s;
         return bad(in, "unescaped control character in string");
      }
      if (!escape(in))
         return 0;
      run = in->s;
      in->s = plainRun(in->s, in->end);
   }
   if (Str.failed)
      return bad(in, "out of memory");
   StrP = Str.p, StrN = Str.len;
   return 1;
}

static any strText(void) {
   return mkStr(StrP, StrN);
}

static int digits(const unsigned char **p, const unsigned char *e) {
   const unsigned char *s = *p;
   while (*p < e && **p >= '0' && **p <= '9')
      ++*p;
   return *p > s;
}

/* Whether the bytes from s to e are an RFC 8259 number; *frac then says whether it has a fraction or an
 * exponent */
static int number(const unsigned char *s, const unsigned char *e, int *frac) {
   *frac = 0;
   if (s < e && *s == '-')
      ++s;
   if (s < e && *s == '0')
      ++s;
   else if (!digits(&s, e))
      return 0;
   if (s < e && *s == '.') {
      ++s, *frac = 1;
      if (!digits(&s, e))
         return 0;
   }
   if (s < e && (*s == 'e' || *s == 'E')) {
      ++s, *frac = 1;
      if (s < e && (*s == '+' || *s == '-'))
         ++s;
      if (!digits(&s, e))
         return 0;
   }
   return s == e;
}

/* A number or literal: the run of bytes up to a delimiter, as json.l's jsonAtom reads it, into *slot */
static int atom(In *in, any *slot) {
   const unsigned char *s = in->s, *e;
   while (in->s < in->end && !strchr(",]} \t\n\r:[{\"", *in->s))
      ++in->s;
   e = in->s;
   size_t n = (size_t)(e - s);
   if (n == 4 && !memcmp(s, "true", 4))
      return *slot = True, 1;
   if (n == 5 && !memcmp(s, "false", 5))
      return *slot = False, 1;
   if (n == 4 && !memcmp(s, "null", 4))
      return *slot = Null, 1;
   int frac, minus = n && *s == '-';
   if (!number(s, e, &frac))
      goto invalid;
   if (frac) {
      any name = mkStr((const char *)s, n);
      *slot = cons(Number, name);
      return 1;
   }
   if (n - (size_t)minus > 18) {  /* beyond a short number: json.l makes it */
      Unhandled = 1;
      return 0;
   }
   uint64_t v = 0;
   for (const unsigned char *p = s + minus; p < e; ++p)
      v = v * 10 + (uint64_t)(*p - '0');
   *slot = SHORT(v) | (minus && v ? 8 : 0);
   return 1;
invalid:
   in->s = s;
   return bad(in, n ? "invalid value" : "unexpected character");
}

static int value(In *in, any *slot);

static int object(In *in, any *slot) {
   ws(in);
   if (in->s < in->end && *in->s == '}') {
      ++in->s;
      return 1;
   }
   for (any tail = 0;;) {
      if (in->s >= in->end || *in->s != '"')
         return bad(in, "expected a string key");
      ++in->s;
      if (!string(in))
         return 0;
      any pair = cons(strText(), Nil);
      any cell = cons(pair, Nil);
      *(tail ? &CDR(tail) : slot) = cell;
      tail = cell;
      ws(in);
      if (in->s >= in->end || *in->s != ':')
         return bad(in, "expected ':' after key");
      ++in->s;
      ws(in);
      if (!value(in, &CDR(pair)))
         return 0;
      ws(in);
      if (in->s < in->end && *in->s == '}')
         break;
      if (in->s >= in->end || *in->s != ',')
         return bad(in, "expected ',' or '}' in object");
      ++in->s;
      ws(in);
   }
   ++in->s;
   return 1;
}

static int array(In *in, any *slot) {
   any tail = *slot = cons(T, Nil);
   ws(in);
   if (in->s < in->end && *in->s == ']') {
      ++in->s;
      return 1;
   }
   for (;;) {
      ws(in);
      any cell = CDR(tail) = cons(Nil, Nil);
      tail = cell;
      if (!value(in, &CAR(cell)))
         return 0;
      ws(in);
      if (in->s < in->end && *in->s == ']')
         break;
      if (in->s >= in->end || *in->s != ',')
         return bad(in, "expected ',' or ']' in array");
      ++in->s;
   }
   ++in->s;
   return 1;
}

static int value(In *in, any *slot) {
   if (in->s >= in->end)
      return bad(in, "unexpected end of input");
   int ok;
   switch (*in->s) {
   case '{': case '[':
      if (++in->depth > MAX_DEPTH)
         return bad(in, "nesting deeper than *JsonMaxDepth");
      ok = *in->s++ == '{' ? object(in, slot) : array(in, slot);
      --in->depth;
      return ok;
   case '"':
      ++in->s;
      if (!string(in))
         return 0;
      *slot = strText();
      return 1;
   default:
      return atom(in, slot);
   }
}

/* The value of the n bytes at s into *slot (a place in a reachable cell, NIL until then): 1, 0 or 2 */
static int decode(const unsigned char *s, size_t n, any *slot) {
   In in = {s, s + n, s, 0};
   Unhandled = 0;
   ws(&in);
   if (!value(&in, slot))
      return Unhandled ? 2 : 0;
   ws(&in);
   if (in.s != in.end)
      return bad(&in, "unexpected data after the value");
   return 1;
}

int plParse(any root, any sym) {
   reset(&Text);
   if (!IS_SYM(sym) || sym == Nil || !symName(sym, &Text))
      return 2;
   if (Text.failed)
      return 2;
   return decode((const unsigned char *)Text.p, Text.len, &CAR(root));
}

/*** Encoding ***/
/* The n bytes at s into Out as the inside of a JSON string */
static void escaped(const unsigned char *s, size_t n) {
   for (size_t i = 0; i < n;) {
      size_t run = i;
      i = (size_t)(plainRun(s + i, s + n) - s);
      put(&Out, s + run, i - run);
      if (i >= n)
         break;
      unsigned char c = s[i++];
      switch (c) {
      case '"': put(&Out, "\\\"", 2); break;
      case '\\': put(&Out, "\\\\", 2); break;
      case '\n': put(&Out, "\\n", 2); break;
      case '\r': put(&Out, "\\r", 2); break;
      case '\t': put(&Out, "\\t", 2); break;
      case '\b': put(&Out, "\\b", 2); break;
      case '\f': put(&Out, "\\f", 2); break;
      default: {
         char u[8];
         snprintf(u, sizeof u, "\\u%04X", c);
         put(&Out, u, 6);
      }
      }
   }
}

/* The decimal digits of v (and a minus) at the end of d[24]; returns where they start */
static char *digitsOf(uint64_t v, int minus, char *d) {
   char *p = d + 24;
   do
      *--p = (char)('0' + v % 10);
   while (v /= 10);
   if (minus)
      *--p = '-';
   return p;
}

static int integer(any x) {
   if (!(x & 2))
      return 0;  /* a big number: json.l prints it */
   char d[24], *p = digitsOf(x >> 4, x & 8, d);
   put(&Out, p, (size_t)(d + 24 - p));
   return 1;
}

/* A name as a JSON string (json.l's jsonQuote: a number or a symbol by its name, NIL the empty string) */
static int quoted(any x) {
   if (IS_NUM(x)) {
      putc1(&Out, '"');
      int ok = integer(x);
      putc1(&Out, '"');
      return ok;
   }
   if (x == Nil)
      return put(&Out, "\"\"", 2), 1;
   if (!IS_SYM(x))
      return 0;
   any t = nameOf(x);  /* its digits straight into Out: eight plain bytes at once, others escaped */
   if (!t)
      return 0;
   putc1(&Out, '"');
   for (;;) {
      uint64_t c = t & 2 ? t >> 4 : CAR(t - 4);
      if (!(t & 2) && plain8(c)) {
         if (!reserve(&Out, 8))
            return 0;
         memcpy(Out.p + Out.len, &c, 8);
         Out.len += 8;
         Out.p[Out.len] = '\0';
      }
      else {
         unsigned char d[8];
         size_t n = 0;
         for (; n < 8 && (c & 255); c >>= 8)
            d[n++] = (unsigned char)(c & 255);
         escaped(d, n);
         if (c)
            break;  /* a zero byte before others ends the name, as for the interpreter (symByte) */
      }
      if (t & 2)
         break;
      t = CDR(t - 4);
   }
   putc1(&Out, '"');
   return 1;
}

static any Syms;

static int encode(any x, int depth);

/* The items of a list, from x, as the elements of an array (it must end in NIL and not loop) */
static int items(any x, int first, int depth) {
   any slow = x;
   for (int step = 0; !IS_NUM(x) && !IS_SYM(x); x = CDR(x)) {
      if (!first)
         putc1(&Out, ',');
      first = 0;
      if (!encode(CAR(x), depth))
         return 0;
      if (++step & 1)
         continue;
      slow = CDR(slow);
      if (slow == CDR(x))
         return 0;
   }
   return x == Nil;
}

/* (number . "1.5e3"): a string (not an internal symbol) that is a number with a fraction or an exponent */
static int fraction(any s) {
   any t = IS_SYM(s) && s != Nil ? nameOf(s) : 0;
   if (!t || findSym(s, t, Syms))
      return 0;
   reset(&Str);
   if (!symName(s, &Str))
      return 0;
   int frac;
   if (!number((const unsigned char *)Str.p, (const unsigned char *)Str.p + Str.len, &frac) || !frac)
      return 0;  /* not a number with a fraction or exponent: json.l decides */
   put(&Out, Str.p, Str.len);
   return 1;
}

static int member(any m, int depth) {
   if (IS_NUM(m) || IS_SYM(m) || !quoted(CAR(m)))
      return 0;
   putc1(&Out, ':');
   return encode(CDR(m), depth);
}

static int encode(any x, int depth) {
   if (IS_NUM(x))
      return integer(x);
   if (IS_SYM(x)) {
      if (x == Nil)
         return put(&Out, "{}", 2), 1;
      if (x == T)
         return put(&Out, "true", 4), 1;
      if (x == True || x == False || x == Null) {
         reset(&Str);
         symName(x, &Str);
         put(&Out, Str.p, Str.len);
         return 1;
      }
      return quoted(x);
   }
   if (++depth > MAX_DEPTH)
      return 0;
   any a = CAR(x);
   if (a == Number)
      return fraction(CDR(x));
   if (a == T) {
      putc1(&Out, '[');
      if (!items(CDR(x), 1, depth))
         return 0;
      putc1(&Out, ']');
      return 1;
   }
   if (!IS_NUM(a) && !IS_SYM(a)) {  /* an object: a list of pairs */
      putc1(&Out, '{');
      any slow = x;
      for (int step = 0; !IS_NUM(x) && !IS_SYM(x); x = CDR(x)) {
         if (step && !(step & 1) && (slow = CDR(slow)) == x)
            return 0;
         if (step++)
            putc1(&Out, ',');
         if (!member(CAR(x), depth))
            return 0;
      }
      if (x != Nil)
         return 0;
      putc1(&Out, '}');
      return 1;
   }
   putc1(&Out, '[');
   if (!items(x, 1, depth))
      return 0;
   putc1(&Out, ']');
   return 1;
}

/* The same kept here for plSend (kind 2): its length, or -1 when it is not encoded here */
long plEncode(any x, any syms) {
   Syms = syms;
   reset(&Out);
   return encode(x, 0) && !Out.failed ? (long)Out.len : -1;
}

const char *plPack(any x, any syms) {
   if (plEncode(x, syms) < 0)
      return snprintf(Err, sizeof Err, "not encoded here"), NULL;
   return Out.p;
}

/*** Memory files ***/
/* By the system call itself: glibc's memfd_create (2.27) and fstat (2.33) are newer than provided.al2's 2.26,
 * and nothing here may need a newer glibc than the interpreter */
int plMemfd(void) {
   return (int)syscall(SYS_memfd_create, "picolayer-json", MFD_CLOEXEC);
}

void plClear(int fd) {
   if (ftruncate(fd, 0) == 0)
      lseek(fd, 0, SEEK_SET);
}

int plReadFd(any root, int fd) {
   off_t size = lseek(fd, 0, SEEK_END);
   if (size < 0 || lseek(fd, 0, SEEK_SET) < 0)
      return 2;
   reset(&Text);
   char chunk[65536];
   for (off_t at = 0; at < size;) {
      ssize_t r = read(fd, chunk, sizeof chunk);
      if (r <= 0)
         return 2;
      put(&Text, chunk, (size_t)r);
      at += r;
   }
   lseek(fd, 0, SEEK_SET);
   if (Text.failed || memchr(Text.p, 0, Text.len))
      return 2;  /* json.l reads it and names the problem */
   return decode((const unsigned char *)Text.p, Text.len, &CAR(root));
}


/*** Answers of the Runtime API ***/
/* The bytes read from the socket: one answer is taken from Rx.p + RxAt at a time, and what came after it (a
 * server may send more than it was asked for) is kept for the next one. Only offsets are kept across a read:
 * reading may move Rx.p. */
static Buf Rx, Body;
static size_t RxAt;

void plForget(void) {
   RxAt = 0;
   reset(&Rx);
}

/* A signal came while waiting: the interpreter's handlers run (SIGTERM ends the process, as when PicoLisp's
 * own reader waits) */
static void interrupted(void) {
   if (sighandler)
      sighandler(Nil);
}

/* More bytes from fd into Rx: 1; 0 when the stream ended or failed. The socket has a receive timeout (runtime.l
 * sets it when it connects): with `stall`, a read that times out is a failure too (the body stopped short);
 * without, the wait goes on (an event may be long in coming). A poll before each read would cost a system call
 * for every event. */
static int fill(int fd, int stall) {
   for (;;) {
      if (!reserve(&Rx, 65536))
         return 0;
      ssize_t n = read(fd, Rx.p + Rx.len, Rx.cap - Rx.len - 1);
      if (n > 0) {
         Rx.len += (size_t)n;
         Rx.p[Rx.len] = '\0';
         return 1;
      }
      if (n < 0 && errno == EINTR)
         interrupted();
      else if (!(n < 0 && !stall && (errno == EAGAIN || errno == EWOULDBLOCK)))
         return 0;
   }
}

/* At least n unread bytes in Rx after at (reading with `stall`): 1, or 0 when they did not all come */
static int need(int fd, size_t at, size_t n, int stall) {
   while (Rx.len - at < n)
      if (!fill(fd, stall))
         return 0;
   return 1;
}

/* The line in Rx at *at: its start in *start, its length without CR LF in *len, *at past it. 1; 0 when it did
 * not come, or when the answer so far is longer than a head may be. */
static int line(int fd, size_t *at, size_t *start, size_t *len, int stall) {
   for (;;) {
      char *nl = memchr(Rx.p + *at, '\n', Rx.len - *at);
      if (nl) {
         size_t end = (size_t)(nl - Rx.p);
         *start = *at;
         *len = end - *at - (end > *at && Rx.p[end - 1] == '\r');
         *at = end + 1;
         return 1;
      }
      if (Rx.len - *at > MAX_HEAD || !fill(fd, stall))
         return 0;
   }
}

static int lower(int c) {
   return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int named(const char *s, size_t n, const char *name, size_t len) {
   if (len != n)
      return 0;
   for (size_t i = 0; i < n; ++i)
      if (lower((unsigned char)s[i]) != name[i])
         return 0;
   return 1;
}

/* A decimal number of up to 15 digits; -1 when it is not one */
static long decimal(const char *s, size_t n) {
   long v = 0;
   if (n == 0 || n > 15)
      return -1;
   for (size_t i = 0; i < n; ++i) {
      if (s[i] < '0' || s[i] > '9')
         return -1;
      v = v * 10 + (s[i] - '0');
   }
   return v;
}

typedef struct {
   any top, hdrs, low;   /* the cells of (Status Hdrs Low . Body) */
   size_t at[2], len[2]; /* the last Content-Length and Transfer-Encoding values in Rx (len 0: none) */
} Head;

/* The lower-case names of the headers that Low holds (runtime.l's *RtNames, kept reachable there) */
#define MAX_NAMES 16
static struct {
   char name[64];
   size_t len;
   any sym;
} Names[MAX_NAMES];
static int NameCount;

int plNames(any list) {
   NameCount = 0;
   for (; !IS_NUM(list) && !IS_SYM(list); list = CDR(list)) {
      any s = CAR(list);
      reset(&Str);
      if (NameCount == MAX_NAMES || !IS_SYM(s) || !symName(s, &Str) || Str.len >= sizeof Names[0].name)
         return 0;
      memcpy(Names[NameCount].name, Str.p, Str.len + 1);
      Names[NameCount].len = Str.len;
      Names[NameCount++].sym = s;
   }
   return 1;
}

/* One header line in Rx, split at its first colon, blanks before the value dropped (a line without a colon is
 * skipped, as runtime.l's rtHead does): with `all`, (Name . Value) appended after *tail in Hdrs; for a name of
 * plNames, (name . Value) pushed onto Low */
static void header(Head *h, size_t at, size_t n, any *tail, int all) {
   const char *s = Rx.p + at, *colon = memchr(s, ':', n);
   if (!colon)
      return;
   size_t k = (size_t)(colon - s), v = k + 1;
   while (v < n && s[v] == ' ')
      ++v;
   int known = -1;
   for (int i = 0; i < NameCount && known < 0; ++i)
      if (named(s, k, Names[i].name, Names[i].len))
         known = i;
   if (all) {
      any pair = cons(mkStr(s, k), Nil);
      any cell = cons(pair, Nil);
      *(*tail ? &CDR(*tail) : &CAR(h->hdrs)) = cell;
      *tail = cell;
      CDR(pair) = mkStr(s + v, n - v);
      if (known >= 0)
         CAR(h->low) = cons(cons(Names[known].sym, CDR(pair)), CAR(h->low));
   }
   else if (known >= 0) {
      any cell = CAR(h->low) = cons(Nil, CAR(h->low));
      any pair = CAR(cell) = cons(Names[known].sym, Nil);
      CDR(pair) = mkStr(s + v, n - v);
   }
   int which = named(s, k, "content-length", 14) ? 0 : named(s, k, "transfer-encoding", 17) ? 1 : -1;
   if (which >= 0)
      h->at[which] = at + v, h->len[which] = n - v;
}

/* Status line and headers into (car root); *at is then the body. 1; 0 when the connection ended first (or the
 * status line is empty, as runtime.l reads it); 3 when the head is larger than MAX_HEAD. */
static int head(int fd, any root, Head *h, size_t *at, int all) {
   size_t p = RxAt, start, n;
   if (!line(fd, &p, &start, &n, 0))
      return Rx.len - RxAt > MAX_HEAD ? 3 : 0;
   if (n == 0)
      return 0;
   const char *s = Rx.p + start, *sp = memchr(s, ' ', n);
   any status = Nil;
   if (sp) {
      const char *e = memchr(sp + 1, ' ', n - (size_t)(sp + 1 - s));
      long v = decimal(sp + 1, (size_t)((e ? e : s + n) - sp - 1));
      if (v >= 0)
         status = SHORT(v);
   }
   h->top = CAR(root) = cons(status, Nil);
   h->hdrs = CDR(h->top) = cons(Nil, Nil);
   h->low = CDR(h->hdrs) = cons(Nil, Nil);
   h->len[0] = h->len[1] = 0;
   for (any tail = 0;;) {  /* up to an empty line (or one that starts with CR, as rtHead reads it) */
      if (!line(fd, &p, &start, &n, 0) || p - RxAt > MAX_HEAD)
         return Rx.len - RxAt > MAX_HEAD ? 3 : 0;
      if (!n || Rx.p[start] == '\r')
         break;
      header(h, start, n, &tail, all);
   }
   *at = p;
   return 1;
}

static int hexDigit(int c) {
   return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 87 : c >= 'A' && c <= 'F' ? c - 55 : -1;
}

/* A chunked body from *at into Body, as runtime.l's rtChunkBytes reads it: 1, or 0 when it broke off */
static int chunked(int fd, size_t *at, int stall) {
   size_t start, n;
   reset(&Body);
   for (;;) {
      size_t size = 0;
      if (!line(fd, at, &start, &n, stall))
         return 0;
      const char *s = Rx.p + start, *semi = memchr(s, ';', n);
      size_t digits = semi ? (size_t)(semi - s) : n;
      if (digits > 15)
         return 0;
      for (size_t i = 0; i < digits; ++i) {
         int d = hexDigit((unsigned char)s[i]);
         if (d < 0)
            return 0;
         size = size * 16 + (size_t)d;
      }
      if (size == 0) {  /* trailers, up to an empty line or the end */
         while (line(fd, at, &start, &n, stall) && n)
            ;
         return !Body.failed;
      }
      if (!need(fd, *at, size, stall))
         return 0;
      put(&Body, Rx.p + *at, size);
      *at += size;
      line(fd, at, &start, &n, stall);  /* the CR LF after the data */
   }
}

/* The offset of the first byte that does not begin valid UTF-8 (RFC 3629: no overlong form, no surrogate,
 * nothing above U+10FFFF; NUL is refused too, a PicoLisp string cannot hold it), or n */
static size_t utf8Bad(const unsigned char *s, size_t n) {
   size_t i = 0;
   while (i < n) {
      uint64_t w;
      if (i + 8 <= n && (memcpy(&w, s + i, 8), !((w | ~((w | 0x8080808080808080) - 0x0101010101010101)) &
                                                  0x8080808080808080))) {
         i += 8;  /* eight bytes from 1 to 127 */
         continue;
      }
      unsigned b = s[i];
      if (b >= 1 && b < 128) {
         ++i;
         continue;
      }
      size_t more;
      unsigned lo = 128, hi = 191;
      if (b < 194) return i;
      else if (b < 224) more = 1;
      else if (b < 240) more = 2, lo = b == 224 ? 160 : 128, hi = b == 237 ? 159 : 191;
      else if (b < 245) more = 3, lo = b == 240 ? 144 : 128, hi = b == 244 ? 143 : 191;
      else return i;
      if (i + more >= n)  /* cut short by the end */
         return i;
      for (size_t k = 1; k <= more; ++k, lo = 128, hi = 191)
         if (s[i + k] < lo || s[i + k] > hi)
            return i;
      i += more + 1;
   }
   return n;
}

static any message(const char *msg) {
   return mkStr(msg, strlen(msg));
}

/* An event's body, the n of want bytes that came, -> (Event . Error) in (cdr cell) as runtime.l's rtEvent
 * makes it; returns the flags of plAnswer */
static int event(const unsigned char *s, size_t n, long want, long small, any cell) {
   char msg[300];
   any body = CDR(cell) = cons(Nil, Nil);
   if ((long)n < want) {
      snprintf(msg, sizeof msg, "the event was cut off: the connection ended or stalled after %zu of %ld bytes", n,
               want);
      CDR(body) = message(msg);
      return 4;
   }
   size_t at = utf8Bad(s, n);
   if (at < n) {
      snprintf(msg, sizeof msg, "the event is not valid UTF-8: byte 0x%02X at offset %zu%s", s[at], at,
               s[at] ? " does not start a complete UTF-8 sequence" : " is NUL, which a PicoLisp string cannot hold");
      CDR(body) = message(msg);
      return 0;
   }
   int r = decode(s, n, &CAR(body));
   if (r == 1)
      return 0;
   CAR(body) = Nil;
   if (r == 0 && (long)n > small) {
      snprintf(msg, sizeof msg, "the event is not valid JSON: %s", Err);
      CDR(body) = message(msg);
      return 0;
   }
   CAR(body) = mkStr((const char *)s, n);
   return r == 2 ? 8 : 0;  /* 8: json.l decodes it */
}

/* One answer from the socket fd into (car root), as runtime.l's rtRequest1 reads it: (Status Headers Low . Body).
 * Headers are ((Name . Value) ..) in their order, made only for isEvent; Low holds the headers named by
 * plNames, ((name . Value) ..) with their lower-case name, the last first. With isEvent set, the Body of a 200
 * answer is (Event . Error), and with `stall` set, a read of it that times out (see fill) cuts it off; bodies of
 * at most `small` bytes that are valid UTF-8 but not JSON are the event as a string. Any other Body is the text,
 * or "(N bytes, not valid UTF-8)". Returns 1 plus flags (4: the event was cut off, close the connection; 8: the
 * Event is its text, for json.l to decode), 0 when the connection ended before the answer did, 3 when its head
 * is larger than MAX_HEAD. */
int plAnswer(int fd, any root, int isEvent, int stall, long small) {
   Head h;
   size_t at;
   int r = head(fd, root, &h, &at, isEvent);
   if (r != 1)
      return r;
   int chunks = 0;
   for (size_t i = 0; i + 7 <= h.len[1]; ++i)
      chunks |= named(Rx.p + h.at[1] + i, 7, "chunked", 7);
   long want = h.len[0] ? decimal(Rx.p + h.at[0], h.len[0]) : 0;
   int isBody = isEvent && CAR(h.top) == SHORT(200);
   stall = isBody ? stall : 0;
   const unsigned char *s;
   size_t n;
   if (chunks) {
      if (!chunked(fd, &at, stall))
         return 0;
      s = (const unsigned char *)Body.p, n = Body.len, want = (long)n, small = LONG_MAX;
   }
   else {
      want = want < 0 ? 0 : want;
      int all = need(fd, at, (size_t)want, stall);
      if (!all && !isBody)
         return 0;
      n = all ? (size_t)want : Rx.len - at;
      s = (const unsigned char *)Rx.p + at;
      at += n;
   }
   if (!isBody && utf8Bad(s, n) < n) {
      char msg[60];
      snprintf(msg, sizeof msg, "(%zu bytes, not valid UTF-8)", n);
      CDR(h.low) = message(msg);
   }
   else if (!isBody)
      CDR(h.low) = mkStr((const char *)s, n);
   else if (chunks || want > 0)
      r |= event(s, n, want, small, h.low);
   else
      CDR(h.low) = cons(Nil, Nil);
   RxAt = at;
   if (RxAt == Rx.len)
      plForget();
   else if (RxAt > (1 << 20)) {
      memmove(Rx.p, Rx.p + RxAt, Rx.len - RxAt);
      Rx.len -= RxAt, RxAt = 0;
   }
   return r;
}

/*** Requests to the Runtime API ***/
static Buf Tx;

/* One request written to the socket fd with one system call (as far as the socket takes it): head (its request
 * line and headers: the names of the strings in the list head, one after another), then for a kind of 1 or 2 a Content-Length and the body: the name of the symbol text (NIL:
 * none) or the text plEncode made last. 1, or 0 when the connection is broken. */
int plSend(int fd, any head, int kind, any text) {
   Buf *body = &Out;
   if (kind == 1) {
      reset(&Text);
      if (text != Nil)
         symName(text, &Text);
      body = &Text;
   }
   size_t n = kind ? body->len : 0;
   reset(&Tx);
   for (; !IS_NUM(head) && !IS_SYM(head); head = CDR(head))
      if (IS_SYM(CAR(head)) && CAR(head) != Nil)
         symName(CAR(head), &Tx);
   if (kind) {
      char d[24], *p = digitsOf(n, 0, d);
      put(&Tx, "Content-Length: ", 16);
      put(&Tx, p, (size_t)(d + 24 - p));
      put(&Tx, "\r\n", 2);
   }
   put(&Tx, "\r\n", 2);
   if (Tx.failed || (kind && body->failed))
      return 0;
   struct iovec io[2] = {{Tx.p, Tx.len}, {kind ? body->p : NULL, n}};
   struct msghdr msg = {.msg_iov = io, .msg_iovlen = 2};
   for (size_t left = Tx.len + n; left;) {
      ssize_t w = sendmsg(fd, &msg, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR)
         continue;  /* PicoLisp handles the signal after the call: a handler run now could change Out */
      if (w <= 0)
         return 0;
      left -= (size_t)w;
      for (size_t k = (size_t)w; k;) {  /* skip what was sent */
         size_t step = k < msg.msg_iov->iov_len ? k : msg.msg_iov->iov_len;
         msg.msg_iov->iov_base = (char *)msg.msg_iov->iov_base + step;
         msg.msg_iov->iov_len -= step;
         k -= step;
         if (!msg.msg_iov->iov_len && msg.msg_iovlen > 1)
            ++msg.msg_iov, --msg.msg_iovlen;
      }
   }
   return 1;
}
