/*
 * The payment and shipping providers behind one small asynchronous
 * interface: a call goes in, its result comes back through a completion
 * callback, later, from the worker's loop — many calls are in flight at
 * once in one process. The implementation speaks the HTTP/JSON contract of
 * docs/providers.md (provider_http.c, over lib/http); oms-provider-sim, a
 * shop's own adapter or a real provider answer it.
 *
 * Every call carries an idempotency key (the commandId of the command that
 * causes it): calling again with the same key must not charge, refund,
 * book or void twice, and must answer the same — a redelivered command, or
 * a retry after a timeout, calls again.
 */
#ifndef OMS_PROVIDER_H
#define OMS_PROVIDER_H

#include <json-c/json.h>

#include "cfg.h"
#include "err.h"
#include "http.h"

enum provider_op {
	PROVIDER_CHARGE,	/* POST {payment}/charges */
	PROVIDER_REFUND,	/* POST {payment}/refunds */
	PROVIDER_SHIP,		/* POST {shipping}/shipments */
	PROVIDER_VOID		/* POST {shipping}/shipments/{id}/void */
};

/* One call; everything is borrowed for the duration of provider_start. */
struct provider_call {
	enum provider_op	 op;
	const char		*key;		/* Idempotency-Key: commandId */
	const char		*request_id;	/* X-Request-Id; NULL or "" */
	const char		*order_id;
	struct json_object	*order;		/* the order as oms_get
						   answers it: paymentMethodId,
						   customerId, total, currency,
						   items, shippingAddress,
						   paymentTransactionId,
						   voidShipmentId */
};

enum provider_outcome {
	PROVIDER_OK,		/* a 2xx answer (a decline included) */
	PROVIDER_REFUSED,	/* a business refusal: 4xx but 408/409/429 */
	PROVIDER_TRANSIENT	/* retry later under the same key */
};

/*
 * A call's result. data (OK and REFUSED) is the data member the Function
 * gets for the step (charge: result, transactionId or declineCode/reason;
 * refund: refundTransactionId; ship: shipCompanyId, trackingNumber,
 * shipmentId; void: shipmentId (the one voided); a refusal: skipped and reason, or
 * for a charge result "declined" and reason); the callback takes it (owned:
 * put it). retry_after_s is the provider's Retry-After (-1: none); detail
 * says what happened, for logs.
 */
struct provider_result {
	enum provider_outcome	 outcome;
	struct json_object	*data;
	int			 retry_after_s;
	char			 detail[200];
};

typedef void	(*provider_done_fn)(void *arg, struct provider_result *r);

struct provider;

/* Creates the providers of cfg (PAYMENT_URL, SHIPPING_URL, the tokens,
 * PROVIDER_TIMEOUT_MS) over h (borrowed; it must outlive the provider).
 * NULL with a reason in err for a URL that is not http:// or https://.
 * The caller owns the result; free it with provider_free. */
struct provider	*provider_new(const struct oms_config *cfg, struct http *h,
		    char *err, size_t errlen);
void		 provider_free(struct provider *p);

/* Starts call c; done(arg, result) runs exactly once, from the loop's
 * http_dispatch, never inside provider_start. OMS_OK, or an error when
 * the call could not start (done is not called: retry later). */
enum oms_err	 provider_start(struct provider *p,
		    const struct provider_call *c, provider_done_fn done,
		    void *arg);

/* The operation's name for logs ("charge", "refund", "ship", "void"). */
const char	*provider_op_name(enum provider_op op);

#endif
