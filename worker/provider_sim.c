/*
 * provider_sim.c — the simulated payment and shipping providers.
 *
 * They wait the configured delay (bounded by the configuration at 20 s, well
 * inside the AMQP heartbeat timeout, so a slow call never costs the
 * worker its broker connection), then answer ids derived from the
 * idempotency key: "txn_", "rfd_", "TRK" or "sh_" and 20 hex digits of
 * SHA-256(kind, key). Calling again with the same key answers the same,
 * as a real provider's idempotency keys do.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "digest.h"
#include "provider.h"

static void
sim_sleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (ms > 0 && nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Writes prefix and 20 hex digits of SHA-256(kind ":" key) to out. */
static enum oms_err
sim_id(const char *prefix, const char *kind, const char *key,
    char out[OMS_ID_MAX + 1])
{
	char buf[OMS_ID_MAX * 2 + 16], hex[DIGEST_HEX_SIZE];
	int n = snprintf(buf, sizeof(buf), "%s:%s", kind, key);

	if (n < 0 || (size_t)n >= sizeof(buf) ||
	    digest_sha256_hex(buf, (size_t)n, hex) == -1)
		return OMS_EINTERNAL;
	snprintf(out, OMS_ID_MAX + 1, "%s%.20s", prefix, hex);
	return OMS_OK;
}

static enum oms_err
sim_charge(const struct payment_provider *p, const char *key,
    const char *payment_method_id, char txn[OMS_ID_MAX + 1], int *declined)
{
	sim_sleep(p->delay_ms);
	*declined = strncmp(payment_method_id, "pm_decline", 10) == 0;
	txn[0] = '\0';
	return *declined ? OMS_OK : sim_id("txn_", "charge", key, txn);
}

static enum oms_err
sim_refund(const struct payment_provider *p, const char *key, const char *txn,
    char refund_txn[OMS_ID_MAX + 1])
{
	(void)txn;
	sim_sleep(p->delay_ms);
	return sim_id("rfd_", "refund", key, refund_txn);
}

static enum oms_err
sim_ship(const struct shipping_provider *p, const char *key,
    const char *order_id, char carrier[OMS_ID_MAX + 1],
    char tracking[OMS_ID_MAX + 1], char shipment_id[OMS_ID_MAX + 1])
{
	enum oms_err rc;

	(void)order_id;
	sim_sleep(p->delay_ms);
	snprintf(carrier, OMS_ID_MAX + 1, "sim-post");
	if ((rc = sim_id("TRK", "ship", key, tracking)) != OMS_OK)
		return rc;
	return sim_id("sh_", "shipment", key, shipment_id);
}

static enum oms_err
sim_void(const struct shipping_provider *p, const char *key,
    const char *shipment_id)
{
	(void)key;
	(void)shipment_id;
	sim_sleep(p->delay_ms);
	return OMS_OK;
}

void
provider_sim_payment(struct payment_provider *p, int delay_ms)
{
	memset(p, 0, sizeof(*p));
	p->name = "simulated";
	p->charge = sim_charge;
	p->refund = sim_refund;
	p->delay_ms = delay_ms;
}

void
provider_sim_shipping(struct shipping_provider *p, int delay_ms)
{
	memset(p, 0, sizeof(*p));
	p->name = "simulated";
	p->ship = sim_ship;
	p->void_shipment = sim_void;
	p->delay_ms = delay_ms;
}
