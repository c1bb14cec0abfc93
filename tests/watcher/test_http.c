/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP endpoint module alone, against loopback on an ephemeral port:
 * routing, methods, the render callback, and the limits.  The server and
 * the client share this process and one poll() loop, as in the watcher.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "watcher/http.h"

#define LOOP_DEADLINE_MS 3000
#define RESPONSE_MAX (64 * 1024)

static enum kp_http_route last_route;
static int render_calls;
static bool render_fails;

static int
render(void *arg, enum kp_http_route route, struct kp_http_reply *out)
{
	static const char *const names[] = { "healthz", "readyz", "metrics",
	    "status" };

	(void)arg;
	last_route = route;
	render_calls++;
	if (render_fails)
		return -1;
	out->status = route == KP_HTTP_READYZ ? 503 : 200;
	out->content_type = "text/plain";
	if (asprintf(&out->body, "body of %s\n", names[route]) < 0)
		return -1;
	out->len = strlen(out->body);
	return 0;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct kp_http *
start(const char *spec)
{
	char err[256] = "";
	struct kp_http *h;

	render_calls = 0;
	render_fails = false;
	h = kp_http_start(spec, render, NULL, err, sizeof(err));
	cr_assert_not_null(h, "start %s: %s", spec, err);
	cr_assert_neq(kp_http_port(h), 0);
	return h;
}

static int
connect_to(int family, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = in6addr_loopback;
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*s4);
	}
	cr_assert_eq(connect(fd, (struct sockaddr *)&ss, len), 0, "%s",
	    strerror(errno));
	cr_assert_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

/* Drive the server and one client until the server closes the client's
 * connection or the deadline passes.  Returns the bytes received (NUL
 * terminated, in a static buffer) and whether the server closed. */
static char response[RESPONSE_MAX + 1];

static size_t
drive(struct kp_http *h, int fd, const char *req, size_t reqlen,
    bool *closed)
{
	size_t sent = 0, got = 0;
	int64_t deadline = now_ms() + LOOP_DEADLINE_MS;

	*closed = false;
	while (now_ms() < deadline && !*closed) {
		struct pollfd pfd[KP_HTTP_MAX_POLLFDS + 1];
		int timeout = 50;
		pfd[0].fd = fd;
		pfd[0].events = POLLIN | (sent < reqlen ? POLLOUT : 0);
		pfd[0].revents = 0;
		int n = kp_http_pollfds(h, pfd + 1, KP_HTTP_MAX_POLLFDS,
		    &timeout);
		cr_assert_geq(n, 0);
		if (timeout > 50)
			timeout = 50;
		cr_assert_geq(poll(pfd, (nfds_t)n + 1, timeout), 0);
		cr_assert_eq(kp_http_run(h, pfd + 1, (size_t)n), 0);
		if (sent < reqlen && (pfd[0].revents & POLLOUT)) {
			ssize_t w = send(fd, req + sent, reqlen - sent,
			    MSG_NOSIGNAL);
			if (w > 0)
				sent += (size_t)w;
			else if (w < 0 && errno != EAGAIN)
				sent = reqlen;  /* reset by the server */
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = recv(fd, response + got, RESPONSE_MAX - got,
			    0);
			if (r > 0)
				got += (size_t)r;
			else if (r == 0 || errno != EAGAIN)
				*closed = true;
		}
		cr_assert_lt(got, (size_t)RESPONSE_MAX);
	}
	response[got] = '\0';
	return got;
}

static const char *
request(struct kp_http *h, int family, const char *req)
{
	bool closed;
	int fd = connect_to(family, kp_http_port(h));

	drive(h, fd, req, strlen(req), &closed);
	close(fd);
	cr_assert(closed, "the server closed the connection: %s", response);
	return response;
}

#define GET(path) "GET " path " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

Test(http, healthz_is_routed_to_the_renderer)
{
	struct kp_http *h = start("127.0.0.1:0");
	const char *r = request(h, AF_INET, GET("/healthz"));

	cr_assert(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", r);
	cr_assert_not_null(strstr(r, "\r\n\r\nbody of healthz\n"), "%s", r);
	cr_assert_not_null(strstr(r, "Content-Length: 16\r\n"), "%s", r);
	cr_assert_eq(last_route, KP_HTTP_HEALTHZ);
	cr_assert_eq(render_calls, 1);
	kp_http_stop(h);
}

Test(http, every_route_and_its_status)
{
	struct kp_http *h = start("127.0.0.1:0");
	const char *r;

	r = request(h, AF_INET, GET("/readyz"));
	cr_assert(strncmp(r, "HTTP/1.1 503 ", 13) == 0, "%s", r);
	cr_assert_eq(last_route, KP_HTTP_READYZ);
	r = request(h, AF_INET, GET("/metrics"));
	cr_assert(strncmp(r, "HTTP/1.1 200 ", 13) == 0, "%s", r);
	cr_assert_eq(last_route, KP_HTTP_METRICS);
	r = request(h, AF_INET, GET("/status"));
	cr_assert(strncmp(r, "HTTP/1.1 200 ", 13) == 0, "%s", r);
	cr_assert_eq(last_route, KP_HTTP_STATUS);
	/* The query string is not part of the path. */
	r = request(h, AF_INET, GET("/metrics?name[]=x"));
	cr_assert(strncmp(r, "HTTP/1.1 200 ", 13) == 0, "%s", r);
	cr_assert_eq(render_calls, 4);
	kp_http_stop(h);
}

Test(http, other_paths_are_404_without_rendering)
{
	struct kp_http *h = start("127.0.0.1:0");
	static const char *const reqs[] = { GET("/"), GET("/healthz/"),
	    GET("/HEALTHZ"), GET("/metrics/x"), GET("/status.json"),
	    GET("//healthz") };

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		const char *r = request(h, AF_INET, reqs[i]);
		cr_assert(strncmp(r, "HTTP/1.1 404 ", 13) == 0, "%s: %s",
		    reqs[i], r);
	}
	cr_assert_eq(render_calls, 0);
	kp_http_stop(h);
}

Test(http, head_has_headers_but_no_body)
{
	struct kp_http *h = start("127.0.0.1:0");
	const char *r = request(h, AF_INET,
	    "HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

	cr_assert(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", r);
	cr_assert_not_null(strstr(r, "Content-Length: 16\r\n"), "%s", r);
	const char *end = strstr(r, "\r\n\r\n");
	cr_assert_not_null(end);
	cr_assert_str_eq(end, "\r\n\r\n");
	kp_http_stop(h);
}

Test(http, other_methods_are_405_with_allow)
{
	struct kp_http *h = start("127.0.0.1:0");
	static const char *const reqs[] = {
		"POST /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		"Content-Length: 5\r\n\r\nhello",
		"PUT /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		"Content-Length: 0\r\n\r\n",
		"DELETE /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"OPTIONS /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"TRACE /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	};

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		const char *r = request(h, AF_INET, reqs[i]);
		cr_assert(strncmp(r, "HTTP/1.1 405 ", 13) == 0, "%s: %s",
		    reqs[i], r);
		cr_assert_not_null(strstr(r, "Allow: GET, HEAD\r\n"), "%s", r);
	}
	cr_assert_eq(render_calls, 0);
	kp_http_stop(h);
}

Test(http, a_failing_renderer_is_a_500)
{
	struct kp_http *h = start("127.0.0.1:0");

	render_fails = true;
	const char *r = request(h, AF_INET, GET("/metrics"));
	cr_assert(strncmp(r, "HTTP/1.1 500 ", 13) == 0, "%s", r);
	kp_http_stop(h);
}

Test(http, ipv6_loopback_and_dual_stack)
{
	struct kp_http *h = start("[::1]:0");
	const char *r = request(h, AF_INET6, GET("/healthz"));
	cr_assert(strncmp(r, "HTTP/1.1 200 ", 13) == 0, "%s", r);
	kp_http_stop(h);

	/* [::] takes IPv4 clients too (or is 0.0.0.0 without IPv6). */
	h = start("[::]:0");
	r = request(h, AF_INET, GET("/healthz"));
	cr_assert(strncmp(r, "HTTP/1.1 200 ", 13) == 0, "%s", r);
	kp_http_stop(h);
}

Test(http, a_1mib_header_is_refused_without_rendering)
{
	struct kp_http *h = start("127.0.0.1:0");
	size_t big = 1024 * 1024;
	char *req = malloc(big + 128);
	bool closed;

	cr_assert_not_null(req);
	int len = snprintf(req, 128, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(req + len, 'a', big);
	memcpy(req + len + big, "\r\n\r\n", 4);
	int fd = connect_to(AF_INET, kp_http_port(h));
	drive(h, fd, req, (size_t)len + big + 4, &closed);
	close(fd);
	free(req);
	cr_assert(closed);
	cr_assert_eq(render_calls, 0);
	/* Either a 431 before closing, or a plain close. */
	cr_assert(response[0] == '\0' ||
	    strncmp(response, "HTTP/1.1 431 ", 13) == 0 ||
	    strncmp(response, "HTTP/1.1 413 ", 13) == 0, "%s", response);
	/* And the server still serves. */
	const char *r = request(h, AF_INET, GET("/healthz"));
	cr_assert(strncmp(r, "HTTP/1.1 200 ", 13) == 0, "%s", r);
	kp_http_stop(h);
}

Test(http, a_non_http_byte_stream_is_closed)
{
	struct kp_http *h = start("127.0.0.1:0");
	char junk[4096];
	bool closed;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 131 + 7);
	int fd = connect_to(AF_INET, kp_http_port(h));
	drive(h, fd, junk, sizeof(junk), &closed);
	close(fd);
	cr_assert(closed);
	cr_assert_eq(render_calls, 0);
	cr_assert(response[0] == '\0' ||
	    strncmp(response, "HTTP/1.1 4", 10) == 0, "%s", response);
	kp_http_stop(h);
}

Test(http, connections_beyond_the_limit_are_not_served_and_do_not_stall)
{
	enum { IDLE = 200 };
	struct kp_http *h = start("127.0.0.1:0");
	int fds[IDLE];
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(kp_http_port(h));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < IDLE; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		cr_assert_geq(fds[i], 0);
		int rc = connect(fds[i], (struct sockaddr *)&sin, sizeof(sin));
		cr_assert(rc == 0 || errno == EINPROGRESS);
		/* Let the server accept what it will. */
		struct pollfd pfd[KP_HTTP_MAX_POLLFDS];
		int timeout = 0;
		int n = kp_http_pollfds(h, pfd, KP_HTTP_MAX_POLLFDS, &timeout);
		cr_assert_geq(n, 0);
		cr_assert_leq(n, KP_HTTP_MAX_POLLFDS);
		cr_assert_geq(poll(pfd, (nfds_t)n, 0), 0);
		cr_assert_eq(kp_http_run(h, pfd, (size_t)n), 0);
	}
	/* The loop never watches more than the limit allows, and each turn is
	 * quick (poll with timeout 0 above). */
	int64_t t0 = now_ms();
	for (int i = 0; i < 20; i++) {
		struct pollfd pfd[KP_HTTP_MAX_POLLFDS];
		int timeout = 0;
		int n = kp_http_pollfds(h, pfd, KP_HTTP_MAX_POLLFDS, &timeout);
		cr_assert_geq(n, 0);
		cr_assert_leq(n, KP_HTTP_PER_IP_LIMIT + 1);
		cr_assert_geq(poll(pfd, (nfds_t)n, 0), 0);
		cr_assert_eq(kp_http_run(h, pfd, (size_t)n), 0);
	}
	cr_assert_lt(now_ms() - t0, 1000);
	for (int i = 0; i < IDLE; i++)
		close(fds[i]);
	/* Let the server see them go (it reads their EOFs). */
	t0 = now_ms();
	while (now_ms() - t0 < 300) {
		struct pollfd pfd[KP_HTTP_MAX_POLLFDS];
		int timeout = 20;
		int n = kp_http_pollfds(h, pfd, KP_HTTP_MAX_POLLFDS, &timeout);
		cr_assert_geq(n, 0);
		cr_assert_geq(poll(pfd, (nfds_t)n, 20), 0);
		cr_assert_eq(kp_http_run(h, pfd, (size_t)n), 0);
	}
	/* Once they are gone, a client is served again. */
	const char *r = request(h, AF_INET, GET("/healthz"));
	cr_assert(strncmp(r, "HTTP/1.1 200 ", 13) == 0, "%s", r);
	kp_http_stop(h);
}

Test(http, parse_listen)
{
	char host[64];
	uint16_t port;
	int off;

	cr_assert_eq(kp_http_parse_listen("off", host, sizeof(host), &port,
	    &off), 0);
	cr_assert_eq(off, 1);
	cr_assert_eq(kp_http_parse_listen("[::]:8080", host, sizeof(host),
	    &port, &off), 0);
	cr_assert_str_eq(host, "::");
	cr_assert_eq(port, 8080);
	cr_assert_eq(off, 0);
	cr_assert_eq(kp_http_parse_listen("0.0.0.0:9", host, sizeof(host),
	    &port, &off), 0);
	cr_assert_str_eq(host, "0.0.0.0");
	cr_assert_eq(port, 9);
	cr_assert_eq(kp_http_parse_listen(":8081", host, sizeof(host),
	    &port, &off), 0);
	cr_assert_str_eq(host, "::");
	cr_assert_eq(port, 8081);
	cr_assert_eq(kp_http_parse_listen("[fe80::1]:65535", host,
	    sizeof(host), &port, &off), 0);
	cr_assert_eq(port, 65535);
	static const char *const bad[] = { "", "8080", "::1:8080",
	    "[::1]8080", "[::1]:", "1.2.3.4:65536", "1.2.3.4:-1",
	    "1.2.3.4:80x", "example.com:80", "[1.2.3.4:80", "1.2.3:80",
	    "[::1]:123456", "Off" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(kp_http_parse_listen(bad[i], host, sizeof(host),
		    &port, &off), -1, "%s", bad[i]);
}

Test(http, an_address_in_use_fails_with_a_message)
{
	struct kp_http *h = start("127.0.0.1:0");
	char spec[32], err[256] = "";

	snprintf(spec, sizeof(spec), "127.0.0.1:%u", (unsigned)kp_http_port(h));
	cr_assert_null(kp_http_start(spec, render, NULL, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "Address already in use"), "%s", err);
	kp_http_stop(h);
}
