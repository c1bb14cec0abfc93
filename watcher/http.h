/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The watcher's observability endpoint: /healthz, /readyz, /metrics and
 * /status over plain HTTP, served by libmicrohttpd inside the watcher's own
 * single-threaded poll() loop.  This module owns the listening socket, the
 * routing (GET/HEAD only, 405 for other methods, 404 for other paths) and
 * the limits that keep an abusive client from stalling the loop or growing
 * memory; the bodies come from a render callback, so it knows nothing of
 * profiles.
 *
 * The socket is bound by kp_http_start(), before the seccomp filter (which
 * forbids socket()); afterwards only accept4, recvfrom, sendto, setsockopt,
 * shutdown and close are needed (seccomp/watcher_policy.c).
 */
#ifndef KP_WATCHER_HTTP_H
#define KP_WATCHER_HTTP_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

/* Limits.  Every one of them is what a metrics scraper and two kubelet
 * probes need, with room to spare, and no more. */
#define KP_HTTP_CONNECTION_LIMIT     64     /* open connections in total */
#define KP_HTTP_PER_IP_LIMIT         16     /* from one address */
#define KP_HTTP_CONNECTION_MEMORY    (16 * 1024) /* request + reply headers */
#define KP_HTTP_CONNECTION_TIMEOUT_S 10     /* idle or slow (slowloris) */
#define KP_HTTP_LISTEN_BACKLOG       16
/* Descriptors the loop may watch for the endpoint: the listening socket
 * and every connection. */
#define KP_HTTP_MAX_POLLFDS          (KP_HTTP_CONNECTION_LIMIT + 1)

enum kp_http_route {
	KP_HTTP_HEALTHZ,
	KP_HTTP_READYZ,
	KP_HTTP_METRICS,
	KP_HTTP_STATUS,
};

/* A reply built by the render callback.  body is malloc()ed (or NULL for
 * an empty body) and owned by the module afterwards. */
struct kp_http_reply {
	unsigned status;
	const char *content_type;   /* a string literal */
	char *body;
	size_t len;
};

/* Fill *out for this route.  Returns 0, or -1 when out of memory (the
 * client then gets a 500). */
typedef int (*kp_http_render_fn)(void *arg, enum kp_http_route route,
    struct kp_http_reply *out);

struct kp_http;

/* Parse a --listen value: "off", "[v6addr]:port", "v4addr:port" or
 * ":port" (all addresses).  Returns 0 (with *off set for "off") or -1. */
int kp_http_parse_listen(const char *spec, char *host, size_t hostlen,
    uint16_t *port, int *off);

/* Bind spec and start serving.  "[::]" falls back to 0.0.0.0 where IPv6 is
 * off.  Returns NULL with a message in err on failure. */
struct kp_http *kp_http_start(const char *spec, kp_http_render_fn render,
    void *arg, char *err, size_t errlen);

/* The bound port (useful when spec asked for port 0). */
uint16_t kp_http_port(const struct kp_http *h);

/* Append the descriptors to poll to fds (room for KP_HTTP_MAX_POLLFDS) and
 * lower *timeout_ms (poll()'s -1 = none) to libmicrohttpd's next timeout.
 * Returns how many were appended, or -1. */
int kp_http_pollfds(struct kp_http *h, struct pollfd *fds, size_t room,
    int *timeout_ms);

/* After poll(): serve whatever is ready among the n descriptors that
 * kp_http_pollfds() appended at fds, and expire timed-out connections.
 * Returns 0, or -1 on an internal error (logged). */
int kp_http_run(struct kp_http *h, const struct pollfd *fds, size_t n);

void kp_http_stop(struct kp_http *h);

#endif /* KP_WATCHER_HTTP_H */
