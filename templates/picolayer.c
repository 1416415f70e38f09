/* picolayer.so: the fast path of the runtime's JSON codec (json.l), loaded with 'native'.
 *
 *   plJsonToSexp(json)  JSON text -> the same value printed as PicoLisp s-expressions (picolisp-json's data
 *                       model, see json.l), prefixed with "," so that 'any' reads its strings in a transient
 *                       scope of their own; NULL when the text is not valid RFC 8259 JSON (plError says why)
 *   plSexpToJson(text)  what 'sym' printed of a value -> its JSON text, by json.l's encoding rules; NULL when
 *                       the value holds anything but numbers, strings, plain symbols and proper lists (json.l
 *                       then encodes it itself and names the problem)
 *   plJsonFd(fd)        the same for the text in the memory file fd (see plMemfd): the s-expressions replace the
 *                       text there, to be read from its start; 1, or 0 when the text is not valid JSON (left as is)
 *   plError()           the message of the last failure
 *   plMemfd(), plClear(fd), plEvent(fd, n, small)
 *                       the runtime's events: runtime.l copies an event's body from the socket into a memory file
 *                       ('echo', byte for byte), and plEvent checks it (UTF-8, then JSON) and returns the s-expression
 *                       ,(Cut Event . Error) that runtime.l's rtEvent stands for (see there)
 *
 * Every string returned stays valid until the next call. Compiled by build-pil21.sh with the interpreter's own
 * C compiler; json.l falls back to its pure PicoLisp codec when the library is absent. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/memfd.h>

#define MAX_DEPTH 10000

typedef struct {
   char *p;
   size_t len, cap;
   int failed;
} Buf;

static Buf Out;
static char Err[200];

static void put(Buf *b, const char *s, size_t n) {
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

static void putc1(Buf *b, char c) {
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

/*** Decoding ***/
typedef struct {
   const unsigned char *s, *end;
   int depth;
} In;

static const unsigned char *Start;

static int bad(In *in, const char *what) {
   snprintf(Err, sizeof Err, "JSON: %s at byte %ld", what, (long)(in->s - Start));
   return 0;
}

static void ws(In *in) {
   while (in->s < in->end && (*in->s == ' ' || *in->s == '\n' || *in->s == '\r' || *in->s == '\t'))
      ++in->s;
}

/* One character of a string, as the PicoLisp reader reads it inside "..." */
static void sexpChar(unsigned c) {
   if (c == '"' || c == '\\' || c == '^') {
      putc1(&Out, '\\');
      putc1(&Out, (char)c);
   }
   else if (c < 32) {
      putc1(&Out, '^');
      putc1(&Out, (char)(c + 64));
   }
   else
      putc1(&Out, (char)c);
}

static void utf8(unsigned cp) {
   char b[4];
   if (cp < 0x80)
      sexpChar(cp);
   else if (cp < 0x800) {
      b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 63));
      put(&Out, b, 2);
   }
   else if (cp < 0x10000) {
      b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | (cp >> 6 & 63)), b[2] = (char)(0x80 | (cp & 63));
      put(&Out, b, 3);
   }
   else {
      b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | (cp >> 12 & 63));
      b[2] = (char)(0x80 | (cp >> 6 & 63)), b[3] = (char)(0x80 | (cp & 63));
      put(&Out, b, 4);
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
   case '"': case '\\': case '/': sexpChar(c); return 1;
   case 'b': sexpChar(8); return 1;
   case 'f': sexpChar(12); return 1;
   case 'n': sexpChar(10); return 1;
   case 'r': sexpChar(13); return 1;
   case 't': sexpChar(9); return 1;
   case 'u': return unicode(in);
   default: --in->s; return bad(in, "bad escape in string");
   }
}

/* After the opening quote; the bytes are valid UTF-8 (the caller's text is a PicoLisp string or was checked) */
static int string(In *in) {
   putc1(&Out, '"');
   for (;;) {
      const unsigned char *run = in->s;
      while (in->s < in->end && *in->s >= 32 && *in->s != '"' && *in->s != '\\' && *in->s != '^')
         ++in->s;
      put(&Out, (const char *)run, (size_t)(in->s - run));
      if (in->s >= in->end)
         return bad(in, "unterminated string");
      unsigned char c = *in->s++;
      if (c == '"')
         break;
      if (c == '^')
         put(&Out, "\\^", 2);
      else if (c == '\\') {
         if (!escape(in))
            return 0;
      }
      else {
         --in->s;
         return bad(in, "unescaped control character in string");
      }
   }
   putc1(&Out, '"');
   return 1;
}

static int digits(const unsigned char **p, const unsigned char *e) {
   const unsigned char *s = *p;
   while (*p < e && **p >= '0' && **p <= '9')
      ++*p;
   return *p > s;
}

/* A number or literal: the run of bytes up to a delimiter, as json.l's jsonAtom reads it */
static int atom(In *in) {
   const unsigned char *s = in->s, *e;
   while (in->s < in->end && !strchr(",]} \t\n\r:[{\"", *in->s))
      ++in->s;
   e = in->s;
   size_t n = (size_t)(e - s);
   if ((n == 4 && !memcmp(s, "true", 4)) || (n == 5 && !memcmp(s, "false", 5)) || (n == 4 && !memcmp(s, "null", 4))) {
      put(&Out, (const char *)s, n);
      return 1;
   }
   const unsigned char *p = s;
   int frac = 0;
   if (p < e && *p == '-')
      ++p;
   if (p < e && *p == '0')
      ++p;
   else if (!digits(&p, e))
      goto invalid;
   if (p < e && *p == '.') {
      ++p, frac = 1;
      if (!digits(&p, e))
         goto invalid;
   }
   if (p < e && (*p == 'e' || *p == 'E')) {
      ++p, frac = 1;
      if (p < e && (*p == '+' || *p == '-'))
         ++p;
      if (!digits(&p, e))
         goto invalid;
   }
   if (p != e)
      goto invalid;
   if (frac) {
      put(&Out, "(number . \"", 11);
      put(&Out, (const char *)s, n);
      put(&Out, "\")", 2);
   }
   else if (n == 2 && s[0] == '-' && s[1] == '0')
      putc1(&Out, '0');
   else
      put(&Out, (const char *)s, n);
   return 1;
invalid:
   in->s = s;
   return bad(in, n ? "invalid value" : "unexpected character");
}

static int value(In *in);

static int nest(In *in) {
   if (++in->depth > MAX_DEPTH)
      return bad(in, "nesting deeper than *JsonMaxDepth");
   return 1;
}

static int object(In *in) {
   ws(in);
   if (in->s < in->end && *in->s == '}') {
      ++in->s;
      put(&Out, "NIL", 3);
      return 1;
   }
   putc1(&Out, '(');
   for (;;) {
      if (in->s >= in->end || *in->s != '"')
         return bad(in, "expected a string key");
      ++in->s;
      putc1(&Out, '(');
      if (!string(in))
         return 0;
      ws(in);
      if (in->s >= in->end || *in->s != ':')
         return bad(in, "expected ':' after key");
      ++in->s;
      put(&Out, " . ", 3);
      ws(in);
      if (!value(in))
         return 0;
      putc1(&Out, ')');
      ws(in);
      if (in->s < in->end && *in->s == '}')
         break;
      if (in->s >= in->end || *in->s != ',')
         return bad(in, "expected ',' or '}' in object");
      ++in->s;
      ws(in);
   }
   ++in->s;
   putc1(&Out, ')');
   return 1;
}

static int array(In *in) {
   put(&Out, "(T", 2);
   ws(in);
   if (in->s < in->end && *in->s == ']') {
      ++in->s;
      putc1(&Out, ')');
      return 1;
   }
   for (;;) {
      putc1(&Out, ' ');
      ws(in);
      if (!value(in))
         return 0;
      ws(in);
      if (in->s < in->end && *in->s == ']')
         break;
      if (in->s >= in->end || *in->s != ',')
         return bad(in, "expected ',' or ']' in array");
      ++in->s;
   }
   ++in->s;
   putc1(&Out, ')');
   return 1;
}

static int value(In *in) {
   if (in->s >= in->end)
      return bad(in, "unexpected end of input");
   int ok;
   switch (*in->s) {
   case '{': ++in->s; if (!nest(in)) return 0; ok = object(in); --in->depth; return ok;
   case '[': ++in->s; if (!nest(in)) return 0; ok = array(in); --in->depth; return ok;
   case '"': ++in->s; return string(in);
   default: return atom(in);
   }
}

/* Appends the value of the n bytes at text to Out */
static int decode(const unsigned char *text, size_t n) {
   In in = {text, text + n, 0};
   Start = in.s;
   ws(&in);
   if (!value(&in))
      return 0;
   ws(&in);
   if (in.s != in.end)
      return bad(&in, "unexpected data after the value");
   if (Out.failed)
      return snprintf(Err, sizeof Err, "JSON: out of memory"), 0;
   return 1;
}

const char *plJsonToSexp(const char *text) {
   reset(&Out);
   putc1(&Out, ',');
   return decode((const unsigned char *)text, strlen(text)) ? Out.p : NULL;
}


/*** Encoding ***/
/* The text 'sym' printed: lists, numbers, "strings" (\x is x, ^X a control character, ^? DEL) and symbols
 * (\x is x). Anything else, and every dotted or circular list, makes the encoder give up (return 0). */
typedef struct {
   const char *s;
   int depth;
} Pr;

static void jsonChar(unsigned char c) {
   switch (c) {
   case '"': put(&Out, "\\\"", 2); return;
   case '\\': put(&Out, "\\\\", 2); return;
   case '\n': put(&Out, "\\n", 2); return;
   case '\r': put(&Out, "\\r", 2); return;
   case '\t': put(&Out, "\\t", 2); return;
   case '\b': put(&Out, "\\b", 2); return;
   case '\f': put(&Out, "\\f", 2); return;
   default:
      if (c < 32) {
         char u[8];
         snprintf(u, sizeof u, "\\u%04X", c);
         put(&Out, u, 6);
      }
      else
         putc1(&Out, (char)c);
   }
}

static int ends(char c) {
   return c == '\0' || c == ' ' || c == ')' || c == '(';
}

static int token(Pr *pr, const char *word) {
   size_t n = strlen(word);
   if (strncmp(pr->s, word, n) || !ends(pr->s[n]))
      return 0;
   pr->s += n;
   return 1;
}

/* After the opening quote of a string */
static int prString(Pr *pr) {
   putc1(&Out, '"');
   for (;;) {
      const char *run = pr->s;
      while (*pr->s && *pr->s != '"' && *pr->s != '\\' && *pr->s != '^' && (unsigned char)*pr->s >= 32)
         ++pr->s;
      put(&Out, run, (size_t)(pr->s - run));
      char c = *pr->s++;
      if (c == '"')
         break;
      if (c == '\\' && *pr->s)
         jsonChar((unsigned char)*pr->s++);
      else if (c == '^' && *pr->s == '?')
         ++pr->s, putc1(&Out, 127);
      else if (c == '^' && *pr->s >= '@' && *pr->s <= '_')
         jsonChar((unsigned char)(*pr->s++ & 31));
      else
         return 0;
   }
   putc1(&Out, '"');
   return 1;
}

/* A symbol's name (not NIL, T, true, false or null) as a string */
static int prSymbol(Pr *pr) {
   if (strchr("'`~{$#,", *pr->s))
      return 0;
   putc1(&Out, '"');
   while (!ends(*pr->s)) {
      if (*pr->s == '~')
         return 0;
      if (*pr->s == '\\' && pr->s[1])
         ++pr->s;
      jsonChar((unsigned char)*pr->s++);
   }
   putc1(&Out, '"');
   return 1;
}

static int prValue(Pr *pr);
static int prList(Pr *pr);

static int prAtom(Pr *pr) {
   const char *s = pr->s;
   if (*s == '"') {
      ++pr->s;
      return prString(pr);
   }
   if (token(pr, "NIL"))
      return put(&Out, "{}", 2), 1;
   if (token(pr, "T"))
      return put(&Out, "true", 4), 1;
   if (token(pr, "true") || token(pr, "false") || token(pr, "null")) {
      put(&Out, s, (size_t)(pr->s - s));
      return 1;
   }
   const char *p = s + (*s == '-');
   if (*p >= '0' && *p <= '9') {
      while (*p >= '0' && *p <= '9')
         ++p;
      if (ends(*p)) {
         put(&Out, s, (size_t)(p - s));
         pr->s = p;
         return 1;
      }
   }
   return prSymbol(pr);
}

static int prValue(Pr *pr) {
   if (*pr->s != '(')
      return prAtom(pr);
   if (++pr->depth > MAX_DEPTH)
      return 0;
   ++pr->s;
   int ok = prList(pr);
   --pr->depth;
   return ok;
}

/* Items up to the closing parenthesis, separated by blanks, as array elements; the first already written */
static int prItems(Pr *pr, int first) {
   for (;;) {
      if (*pr->s == ')') {
         ++pr->s;
         return 1;
      }
      if (*pr->s != ' ' || pr->s[1] == '.')  /* a dotted or circular list */
         return 0;
      ++pr->s;
      if (!first)
         putc1(&Out, ',');
      first = 0;
      if (!prValue(pr))
         return 0;
   }
}

/* One member (K . V) of an object, after its opening parenthesis */
static int prMember(Pr *pr) {
   if (*pr->s == '(')
      return 0;
   if (*pr->s == '"') {
      if (!prAtom(pr))
         return 0;
   }
   else {  /* a number, NIL or another symbol: its name (NIL the empty key) */
      if (token(pr, "NIL"))
         put(&Out, "\"\"", 2);
      else if (!prSymbol(pr))
         return 0;
   }
   putc1(&Out, ':');
   if (*pr->s == ')') {
      ++pr->s;
      return put(&Out, "{}", 2), 1;
   }
   if (!strncmp(pr->s, " . ", 3)) {
      pr->s += 3;
      if (!prValue(pr) || *pr->s != ')')
         return 0;
      ++pr->s;
      return 1;
   }
   if (*pr->s != ' ')
      return 0;
   ++pr->s;
   return prList(pr);
}

/* After the opening parenthesis of a list (or in a member, where the rest of the member is its value) */
static int prList(Pr *pr) {
   if (token(pr, "number")) {
      const char *t = pr->s;
      if (strncmp(t, " . \"", 4))
         return 0;
      t += 4;
      const char *e = strchr(t, '"');
      if (!e || e[1] != ')')
         return 0;
      In in = {(const unsigned char *)t, (const unsigned char *)e, 0};
      size_t mark = Out.len;
      Start = in.s;
      if (*t == '"' || !atom(&in) || in.s != in.end || Out.p[mark] != '(')
         return 0;  /* not a number with a fraction or exponent: json.l decides */
      Out.len = mark;
      put(&Out, t, (size_t)(e - t));
      pr->s = e + 2;
      return 1;
   }
   if (token(pr, "T")) {
      putc1(&Out, '[');
      if (!prItems(pr, 1))
         return 0;
      putc1(&Out, ']');
      return 1;
   }
   if (*pr->s == '(') {
      putc1(&Out, '{');
      for (int first = 1; *pr->s == '('; first = 0) {
         if (!first)
            putc1(&Out, ',');
         ++pr->s;
         if (!prMember(pr))
            return 0;
         if (*pr->s == ' ')
            ++pr->s;
         else if (*pr->s != ')')
            return 0;
      }
      if (*pr->s != ')')
         return 0;
      ++pr->s;
      putc1(&Out, '}');
      return 1;
   }
   putc1(&Out, '[');
   if (!prValue(pr) || !prItems(pr, 0))
      return 0;
   putc1(&Out, ']');
   return 1;
}

const char *plSexpToJson(const char *text) {
   Pr pr = {text, 0};
   reset(&Out);
   if (!prValue(&pr) || *pr.s || Out.failed)
      return snprintf(Err, sizeof Err, "not encoded here"), NULL;
   return Out.p;
}

/*** The runtime's events ***/
/* By the system call itself: glibc's memfd_create (2.27) and fstat (2.33) are newer than provided.al2's 2.26,
 * and nothing here may need a newer glibc than the interpreter */
int plMemfd(void) {
   return (int)syscall(SYS_memfd_create, "picolayer-event", MFD_CLOEXEC);
}

void plClear(int fd) {
   if (ftruncate(fd, 0) == 0)
      lseek(fd, 0, SEEK_SET);
}

/* The offset of the first byte that does not begin valid UTF-8 (RFC 3629: no overlong form, no surrogate,
 * nothing above U+10FFFF; NUL is refused too, a PicoLisp string cannot hold it), or n */
static size_t utf8Bad(const unsigned char *s, size_t n) {
   size_t i = 0;
   while (i < n) {
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

static void sexpString(const char *s, size_t n) {
   putc1(&Out, '"');
   for (size_t i = 0; i < n; ++i)
      sexpChar((unsigned char)s[i]);
   putc1(&Out, '"');
}

static const char *eventError(int cut, const char *msg) {
   reset(&Out);
   const char *head = cut ? ",(T NIL . " : ",(NIL NIL . ";
   put(&Out, head, strlen(head));
   sexpString(msg, strlen(msg));
   putc1(&Out, ')');
   return Out.p;
}

/* The whole memory file fd into a buffer of its own, NUL-terminated; its length in *n. NULL when it cannot. */
static unsigned char *slurp(int fd, size_t *n) {
   static unsigned char *data;
   static size_t cap;
   if (cap > (1 << 22))  /* give back what a large text took */
      free(data), data = NULL, cap = 0;
   off_t size = lseek(fd, 0, SEEK_END);
   if (size < 0 || lseek(fd, 0, SEEK_SET) < 0)
      return NULL;
   *n = (size_t)size;
   if (*n + 1 > cap) {
      free(data);
      cap = *n + 1;
      if (!(data = malloc(cap)))
         return cap = 0, NULL;
   }
   for (size_t at = 0; at < *n;) {
      ssize_t r = read(fd, data + at, *n - at);
      if (r <= 0)
         return NULL;
      at += (size_t)r;
   }
   data[*n] = '\0';
   return data;
}

int plJsonFd(int fd) {
   size_t n;
   unsigned char *text = slurp(fd, &n);
   if (!text)
      return snprintf(Err, sizeof Err, "the text could not be read back from its memory file"), 0;
   if (memchr(text, 0, n))
      return snprintf(Err, sizeof Err, "the text holds a NUL byte"), 0;
   reset(&Out);
   putc1(&Out, ',');
   if (!decode(text, n))
      return 0;
   plClear(fd);
   for (size_t at = 0; at < Out.len;) {
      ssize_t w = write(fd, Out.p + at, Out.len - at);
      if (w <= 0)
         return snprintf(Err, sizeof Err, "the memory file could not be written"), 0;
      at += (size_t)w;
   }
   return lseek(fd, 0, SEEK_SET) == 0;
}

/* The n bytes of an event's body, as far as they came, in the memory file fd. Bodies of at most `small` bytes
 * that are valid UTF-8 but not JSON are the event as a string; larger ones must be JSON. */
const char *plEvent(int fd, long n, long small) {
   char msg[300];
   size_t got;
   unsigned char *data = slurp(fd, &got);
   if (!data)
      return eventError(1, "the event could not be read back from its memory file");
   if ((long)got < n) {
      snprintf(msg, sizeof msg,
               "the event was cut off: the connection ended or stalled after %zu of %ld bytes", got, n);
      return eventError(1, msg);
   }
   size_t bad = utf8Bad(data, got);
   if (bad < got) {
      snprintf(msg, sizeof msg, "the event is not valid UTF-8: byte 0x%02X at offset %zu%s", data[bad], bad,
               data[bad] ? " does not start a complete UTF-8 sequence" : " is NUL, which a PicoLisp string cannot hold");
      return eventError(0, msg);
   }
   reset(&Out);
   put(&Out, ",(NIL ", 6);
   if (decode(data, got)) {
      put(&Out, ")", 1);
      return Out.p;
   }
   if ((long)got > small) {
      snprintf(msg, sizeof msg, "the event is not valid JSON: %s", Err);
      return eventError(0, msg);
   }
   reset(&Out);
   put(&Out, ",(NIL ", 6);
   sexpString((const char *)data, got);
   putc1(&Out, ')');
   return Out.p;
}
