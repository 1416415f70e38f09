/* A minimal Lambda custom runtime for benchmarking the emulator: one keep-alive socket, GET /next, echo the
 * event back with POST /response, forever. No parsing beyond what the Runtime API needs. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static char buffer[1 << 20];

static void header(const char *name, char *out, size_t size) {
    out[0] = 0;
    size_t len = strlen(name);
    for (char *line = buffer; (line = strstr(line, "\r\n")); ) {
        line += 2;
        if (strncasecmp(line, name, len) == 0 && line[len] == ':') {
            char *value = line + len + 1;
            while (*value == ' ') value++;
            size_t n = strcspn(value, "\r");
            if (n >= size) n = size - 1;
            memcpy(out, value, n);
            out[n] = 0;
            return;
        }
    }
}

/* Reads one HTTP response (head + Content-Length body) into buffer; returns the body offset, sets *length. */
static int read_response(int fd, int *length) {
    int used = 0, head_end = -1;
    while (head_end < 0) {
        ssize_t n = read(fd, buffer + used, sizeof buffer - 1 - used);
        if (n <= 0) exit(1);
        used += (int)n;
        buffer[used] = 0;
        char *end = strstr(buffer, "\r\n\r\n");
        if (end) head_end = (int)(end - buffer) + 4;
    }
    char value[32];
    header("content-length", value, sizeof value);
    *length = atoi(value);
    while (used < head_end + *length) {
        ssize_t n = read(fd, buffer + used, sizeof buffer - 1 - used);
        if (n <= 0) exit(1);
        used += (int)n;
    }
    return head_end;
}

int main(void) {
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api) return 2;
    char host[64];
    snprintf(host, sizeof host, "%s", api);
    char *colon = strchr(host, ':');
    if (!colon) return 2;
    *colon = 0;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(colon + 1))};
    inet_pton(AF_INET, host, &address.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) return 3;
    static const char next[] = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: lambda\r\n\r\n";
    static char event[1 << 16], request[1 << 17];
    char id[128];
    for (;;) {
        if (write(fd, next, sizeof next - 1) < 0) return 4;
        int length, body = read_response(fd, &length);
        header("lambda-runtime-aws-request-id", id, sizeof id);
        if (length > (int)sizeof event) length = sizeof event;
        memcpy(event, buffer + body, (size_t)length);
        int n = snprintf(request, sizeof request,
            "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: lambda\r\nContent-Length: %d\r\n\r\n",
            id, length);
        memcpy(request + n, event, (size_t)length);
        if (write(fd, request, (size_t)(n + length)) < 0) return 4;
        read_response(fd, &length);
    }
}
