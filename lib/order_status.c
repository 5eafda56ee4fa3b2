/*
 * The order statuses of DESIGN.md section 5 and which command may move an
 * order out of which status. The names are the study's and appear on the
 * wire (the API's "status", the events stream), so they are spelt in one
 * table here. The transition table answers only "may this command apply
 * from this status"; conditions on data (a tracking id that matches, a
 * payment to refund) are the worker's to check. OMS_STATUS_PENDING, an
 * accepted create not yet applied, is treated like "created" so that the
 * API's pre-checks let a cancel, delete or update through for an order the
 * worker is about to create; the worker itself never sees it.
 */
#include <string.h>

#include "order.h"

static const char *const order_status_names[] = {
	[OMS_STATUS_NONE] =		"",
	[OMS_STATUS_CREATED] =		"created",
	[OMS_STATUS_PAYMENT_SUCCESS] =	"paymentSuccess",
	[OMS_STATUS_PAYMENT_FAILED] =	"paymentFailed",
	[OMS_STATUS_SHIPPED] =		"shipped",
	[OMS_STATUS_DELIVERED] =	"delivered",
	[OMS_STATUS_CANCELED] =		"canceled",
	[OMS_STATUS_PENDING] =		"pending",
};

_Static_assert(sizeof(order_status_names) / sizeof(order_status_names[0]) ==
    OMS_STATUS_MAX, "order_status_names must name every enum oms_status");

#define S(x)	(1u << OMS_STATUS_##x)
#define ANY	(S(CREATED) | S(PAYMENT_SUCCESS) | S(PAYMENT_FAILED) | \
		S(SHIPPED) | S(DELIVERED) | S(CANCELED) | S(PENDING))

/* The "from" column of the table in DESIGN.md section 5, as bit sets. */
static const struct {
	const char	*type;
	unsigned int	 from;
} order_transitions[] = {
	{ "orders.create",		S(NONE) },
	{ "orders.process.payment",	S(CREATED) },
	{ "orders.ship",		S(PAYMENT_SUCCESS) },
	{ "orders.update",		ANY & ~(S(DELIVERED) | S(CANCELED)) },
	{ "orders.cancel",		S(CREATED) | S(PAYMENT_SUCCESS) |
					S(PAYMENT_FAILED) | S(PENDING) },
	{ "orders.delete",		ANY },
	{ "orders.delivered",		S(SHIPPED) },
	{ "orders.refund",		S(CANCELED) },
	{ "orders.void",		S(CANCELED) },
};

#undef ANY
#undef S

const char *
order_status_name(enum oms_status status)
{
	if ((unsigned int)status >= OMS_STATUS_MAX)
		return "";
	return order_status_names[status];
}

int
order_status_parse(const char *s, enum oms_status *out)
{
	int	 i;

	for (i = OMS_STATUS_NONE + 1; i < OMS_STATUS_MAX; i++)
		if (strcmp(s, order_status_names[i]) == 0) {
			*out = (enum oms_status)i;
			return 0;
		}
	return -1;
}

int
order_transition_allowed(enum oms_status from, const char *command_type)
{
	size_t	 i;

	if ((unsigned int)from >= OMS_STATUS_MAX || command_type == NULL)
		return 0;
	for (i = 0; i < sizeof(order_transitions) /
	    sizeof(order_transitions[0]); i++)
		if (strcmp(command_type, order_transitions[i].type) == 0)
			return (order_transitions[i].from & (1u << from)) != 0;
	return 0;
}
