/*
 * The payment and shipping providers behind small interfaces, so a real
 * provider can replace the simulated one (provider_sim.c) without touching
 * the flow. Every call carries an idempotency key (the commandId): calling
 * twice with the same key must not charge, refund or ship twice, and must
 * answer the same ids — a redelivered command may call again.
 */
#ifndef OMS_PROVIDER_H
#define OMS_PROVIDER_H

#include "err.h"
#include "order.h"

struct payment_provider {
	const char	*name;
	/* Charges the order's payment method. OMS_OK with *declined 0 and
	 * txn set, or *declined 1 (the method was refused); OMS_EUNAVAIL
	 * when the provider cannot answer now (the command is retried). */
	enum oms_err	(*charge)(const struct payment_provider *p,
			    const char *key, const char *payment_method_id,
			    char txn[OMS_ID_MAX + 1], int *declined);
	/* Refunds transaction txn; OMS_OK with refund_txn set. */
	enum oms_err	(*refund)(const struct payment_provider *p,
			    const char *key, const char *txn,
			    char refund_txn[OMS_ID_MAX + 1]);
	int		 delay_ms;	/* simulated latency */
};

struct shipping_provider {
	const char	*name;
	/* Books a shipment; OMS_OK with carrier, tracking and the provider's
	 * shipment id set. */
	enum oms_err	(*ship)(const struct shipping_provider *p,
			    const char *key, const char *order_id,
			    char carrier[OMS_ID_MAX + 1],
			    char tracking[OMS_ID_MAX + 1],
			    char shipment_id[OMS_ID_MAX + 1]);
	/* Voids shipment_id, booked for an order canceled meanwhile (cancel
	 * wins exactly, docs/flow.md); OMS_OK also when it was voided
	 * before. */
	enum oms_err	(*void_shipment)(const struct shipping_provider *p,
			    const char *key, const char *shipment_id);
	int		 delay_ms;
};

/* The simulated providers (a payment method id beginning "pm_decline" is
 * declined; ids derive from the key, so a repeat answers the same; a void
 * records nothing and answers OMS_OK). */
void	provider_sim_payment(struct payment_provider *p, int delay_ms);
void	provider_sim_shipping(struct shipping_provider *p, int delay_ms);

#endif
