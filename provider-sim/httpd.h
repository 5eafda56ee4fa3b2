/*
 * The HTTP server of oms-provider-sim, the only module that knows
 * libmicrohttpd: one polling thread (epoll) reads requests, hands them to
 * routes.c, and parks every held answer on the timer (timerq.c) with its
 * connection suspended, so thousands wait without a thread each.
 */
#ifndef OMS_SIM_HTTPD_H
#define OMS_SIM_HTTPD_H

#include <stddef.h>

#include "routes.h"
#include "timerq.h"

struct httpd;

/* The timer's fire function for the queue given to httpd_start(). */
void	httpd_timer_fire(void *item, void *arg);

/* Listens on listen ("host:port", "[v6]:port") and serves r, parking held
 * answers on tq (both borrowed until httpd_stop()); bodies above
 * max_body bytes are refused. Returns the server, or NULL with a reason
 * in err. */
struct httpd *httpd_start(const char *listen, struct routes *r,
	    struct timerq *tq, long max_body, char *err, size_t errlen);

/* Answers every held request now, then stops the server and frees it
 * (NULL is a no-op). The timer is drained but not freed. */
void	httpd_stop(struct httpd *h);

#endif
