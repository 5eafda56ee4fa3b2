/*
 * The route handlers of oms-fcgi. Each answers the request exactly once.
 */
#ifndef OMS_HANDLERS_H
#define OMS_HANDLERS_H

#include "app.h"
#include "router.h"

typedef void handler_fn(struct app *, struct http_req *,
    const struct route_match *);

handler_fn	handle_healthz;
handler_fn	handle_readyz;
handler_fn	handle_metrics;
handler_fn	handle_orders_list;
handler_fn	handle_order_get;
handler_fn	handle_order_events;
handler_fn	handle_order_create;
handler_fn	handle_order_update;
handler_fn	handle_order_cancel;
handler_fn	handle_order_delete;
handler_fn	handle_order_delivered;
/* webhooks.c */
handler_fn	handle_webhook_create;
handler_fn	handle_webhooks_list;
handler_fn	handle_webhook_get;
handler_fn	handle_webhook_update;
handler_fn	handle_webhook_delete;
handler_fn	handle_webhook_rotate;
handler_fn	handle_webhook_deliveries;
handler_fn	handle_webhook_redeliver;

/* Appends oms_webhook_backlog{subscription} (pending deliveries) to the
 * metrics text in buf (size bytes, *len used). */
void	webhooks_metrics(struct app *app, char *buf, size_t size, size_t *len);

#endif
