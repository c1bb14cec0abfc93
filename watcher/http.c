/* SPDX-License-Identifier: Apache-2.0 */
#include "watcher/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/log.h"

/* Our descriptors stay far below FD_SETSIZE (RLIMIT_NOFILE is set lower in
 * watcher/main.c), so libmicrohttpd's select-style fd sets are safe. */
_Static_assert(KP_HTTP_MAX_POLLFDS < FD_SETSIZE, "fd sets are big enough");

#define HOST_MAX 64
#define ALLOWED_METHODS "GET, HEAD"

struct kp_http {
	struct MHD_Daemon *mhd;
	int listen_fd;
	uint16_t port;
	kp_http_render_fn render;
	void *arg;
};

static int
parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;

	if (*s == '\0' || strlen(s) > 5)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int
kp_http_parse_listen(const char *spec, char *host, size_t hostlen,
    uint16_t *port, int *off)
{
	const char *colon;
	size_t n;

	*off = 0;
	if (strcmp(spec, "off") == 0) {
		*off = 1;
		return 0;
	}
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (close == NULL || close[1] != ':')
			return -1;
		n = (size_t)(close - spec - 1);
		colon = close + 1;
		spec++;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL)
			return -1;
		n = (size_t)(colon - spec);
		if (memchr(spec, ':', n) != NULL)
			return -1;          /* a bare IPv6 address needs [] */
	}
	if (n == 0) {
		spec = "::";
		n = 2;
	}
	if (n >= hostlen)
		return -1;
	memcpy(host, spec, n);
	host[n] = '\0';
	if (parse_port(colon + 1, port) != 0)
		return -1;
	struct in6_addr a6;
	struct in_addr a4;
	if (inet_pton(AF_INET6, host, &a6) != 1 &&
	    inet_pton(AF_INET, host, &a4) != 1)
		return -1;
	return 0;
}

/* Bind and listen on host:port.  "::" is dual-stack, and becomes 0.0.0.0
 * on a node where IPv6 is disabled. */
static int
bind_listen(const char *host, uint16_t port, uint16_t *bound, char *err,
    size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	bool any6 = strcmp(host, "::") == 0;
	int fd = -1;
	int one = 1, zero = 0;

	memset(&ss, 0, sizeof(ss));
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			goto bad_addr;
		sslen = sizeof(*s6);
		fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
		if (fd >= 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
		    any6 ? &zero : &one, sizeof(int)) != 0)
			goto fail;
		if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one)) != 0)
			goto fail;
		if (fd >= 0 && bind(fd, (struct sockaddr *)&ss, sslen) == 0)
			goto bound;
		if (!any6 || (fd >= 0 && errno != EADDRNOTAVAIL) ||
		    (fd < 0 && errno != EAFNOSUPPORT))
			goto fail;
		if (fd >= 0)
			close(fd);
		kp_log(KP_LOG_INFO, "listen_ipv4_only", NULL,
		    "IPv6 is off on this node; listening on 0.0.0.0");
		host = "0.0.0.0";
	}
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		goto bad_addr;
	sslen = sizeof(*s4);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, sslen) != 0)
		goto fail;
bound:
	if (listen(fd, KP_HTTP_LISTEN_BACKLOG) != 0)
		goto fail;
	sslen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0)
		goto fail;
	*bound = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
fail:
	snprintf(err, errlen, "listen on %s port %u: %s", host,
	    (unsigned)port, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
bad_addr:
	snprintf(err, errlen, "bad listen address %s", host);
	return -1;
}

static enum MHD_Result
queue(struct MHD_Connection *c, unsigned status, const char *type,
    char *body, size_t len, bool allow_header)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (body == NULL)
		r = MHD_create_response_from_buffer(0, (void *)"",
		    MHD_RESPMEM_PERSISTENT);
	else
		r = MHD_create_response_from_buffer(len, body,
		    MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;          /* libmicrohttpd closes the connection */
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    type) != MHD_YES ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store") != MHD_YES ||
	    (allow_header && MHD_add_response_header(r,
	    MHD_HTTP_HEADER_ALLOW, ALLOWED_METHODS) != MHD_YES)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
queue_text(struct MHD_Connection *c, unsigned status, const char *text,
    bool allow_header)
{
	char *body = strdup(text);

	if (body == NULL)
		return MHD_NO;
	return queue(c, status, "text/plain; charset=utf-8", body,
	    strlen(body), allow_header);
}

static bool
route_of(const char *url, enum kp_http_route *route)
{
	static const struct {
		const char *path;
		enum kp_http_route route;
	} routes[] = {
		{ "/healthz", KP_HTTP_HEALTHZ },
		{ "/readyz", KP_HTTP_READYZ },
		{ "/metrics", KP_HTTP_METRICS },
		{ "/status", KP_HTTP_STATUS },
	};

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(url, routes[i].path) == 0) {
			*route = routes[i].route;
			return true;
		}
	}
	return false;
}

/* Every request is answered on its first call, from its headers alone: no
 * endpoint takes a body, so none is ever buffered. */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct kp_http *h = cls;
	enum kp_http_route route;
	struct kp_http_reply reply;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return queue_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method not allowed\n", true);
	if (!route_of(url, &route))
		return queue_text(c, MHD_HTTP_NOT_FOUND, "not found\n", false);
	memset(&reply, 0, sizeof(reply));
	if (h->render(h->arg, route, &reply) != 0) {
		free(reply.body);
		return queue_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "internal error\n", false);
	}
	return queue(c, reply.status, reply.content_type, reply.body,
	    reply.len, false);
}

struct kp_http *
kp_http_start(const char *spec, kp_http_render_fn render, void *arg,
    char *err, size_t errlen)
{
	char host[HOST_MAX];
	uint16_t port;
	int off;
	struct kp_http *h;

	if (kp_http_parse_listen(spec, host, sizeof(host), &port, &off) != 0 ||
	    off) {
		snprintf(err, errlen, "bad listen address");
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->render = render;
	h->arg = arg;
	h->listen_fd = bind_listen(host, port, &h->port, err, errlen);
	if (h->listen_fd < 0) {
		free(h);
		return NULL;
	}
	/* No flags: no internal threads, no inter-thread
	 * channel: the watcher's loop drives everything. */
	h->mhd = MHD_start_daemon(MHD_NO_FLAG, 0, NULL, NULL,
	    on_request, h,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)h->listen_fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)KP_HTTP_CONNECTION_LIMIT,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)KP_HTTP_PER_IP_LIMIT,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)KP_HTTP_CONNECTION_MEMORY,
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)KP_HTTP_CONNECTION_TIMEOUT_S,
	    MHD_OPTION_END);
	if (h->mhd == NULL) {
		snprintf(err, errlen, "libmicrohttpd failed to start");
		close(h->listen_fd);
		free(h);
		return NULL;
	}
	return h;
}

uint16_t
kp_http_port(const struct kp_http *h)
{
	return h->port;
}

int
kp_http_pollfds(struct kp_http *h, struct pollfd *fds, size_t room,
    int *timeout_ms)
{
	fd_set rs, ws, es;
	MHD_socket max = -1;
	MHD_UNSIGNED_LONG_LONG t;
	size_t n = 0;

	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_ZERO(&es);
	if (MHD_get_fdset2(h->mhd, &rs, &ws, &es, &max, FD_SETSIZE) != MHD_YES)
		return -1;
	for (int fd = 0; fd <= max; fd++) {
		short ev = 0;
		if (FD_ISSET(fd, &rs))
			ev |= POLLIN;
		if (FD_ISSET(fd, &ws))
			ev |= POLLOUT;
		if (ev == 0)
			continue;
		if (n == room)
			return -1;
		fds[n].fd = fd;
		fds[n].events = ev;
		fds[n].revents = 0;
		n++;
	}
	if (MHD_get_timeout(h->mhd, &t) == MHD_YES) {
		int ms = t > INT32_MAX ? INT32_MAX : (int)t;
		if (*timeout_ms < 0 || ms < *timeout_ms)
			*timeout_ms = ms;
	}
	return (int)n;
}

int
kp_http_run(struct kp_http *h, const struct pollfd *fds, size_t n)
{
	fd_set rs, ws, es;

	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_ZERO(&es);
	for (size_t i = 0; i < n; i++) {
		if (fds[i].fd < 0 || fds[i].fd >= FD_SETSIZE)
			continue;
		if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
			FD_SET(fds[i].fd, &rs);
		if (fds[i].revents & (POLLOUT | POLLHUP | POLLERR))
			FD_SET(fds[i].fd, &ws);
	}
	if (MHD_run_from_select(h->mhd, &rs, &ws, &es) != MHD_YES) {
		kp_log(KP_LOG_WARN, "http_failed", NULL,
		    "libmicrohttpd could not run");
		return -1;
	}
	return 0;
}

void
kp_http_stop(struct kp_http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->mhd);
	/* libmicrohttpd does not close a socket it was given. */
	close(h->listen_fd);
	free(h);
}
