/*
 * The life of one oms-fcgi child: its request threads, each with its own
 * Redis client, and the confirm window (confirm.c) that owns the child's
 * RabbitMQ client; all opened after fork and reused for every request.
 */
#ifndef OMS_APP_H
#define OMS_APP_H

#include "cfg.h"
#include "http.h"
#include "store.h"

struct confirm;

/* One per request thread (the master fills cfg and listen_fd). */
struct app {
	const struct oms_config	*cfg;		/* borrowed, read-only */
	int			 listen_fd;	/* the FastCGI socket */
	struct store		*store;		/* owned: this thread's */
	struct confirm		*confirm;	/* borrowed: the child's */
};

/* The child_main of the pre-fork pool: arg is a struct app with cfg and
 * listen_fd set. Returns 0 after max requests or a stop request. */
int	app_child_main(void *arg);

/* The pre-fork on_stop hook: makes the libfcgi accept loop return. */
void	app_on_stop(void);

/* Creates the shared metrics with one label per route; call in the master
 * before forking. Returns 0, or -1. */
int	app_metrics_init(void);

/* Routes and answers one request. */
void	app_handle(struct app *app, struct http_req *req);

#endif
