/*
 * libFuzzer target for lib/command.c: command_decode() on the input, as
 * the worker decodes a message body from the oms.commands exchange. For
 * an input that decodes, a round trip must hold: command_encode() of the
 * struct succeeds (it re-decodes its own output, so a failure means the
 * encoder writes something the decoder refuses) and the encoded text
 * decodes back to the same struct; a mismatch abort()s. A failed decode
 * must leave a non-empty reason in err.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"

#define CHECK(cond)	do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz_command: %s:%d: check failed: %s\n",\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/* About 14 KB each: static, not on the stack. */
static struct oms_command	 cmd, back;

/* abort()s unless a and b carry the same command. */
static void
check_same(const struct oms_command *a, const struct oms_command *b)
{
	size_t	 i;

	CHECK(a->type == b->type);
	CHECK(strcmp(a->command_id, b->command_id) == 0);
	CHECK(strcmp(a->order_id, b->order_id) == 0);
	CHECK(strcmp(a->issued_at, b->issued_at) == 0);
	CHECK(a->role == b->role);
	CHECK(strcmp(a->customer_id, b->customer_id) == 0);
	switch (a->type) {
	case OMS_CMD_CREATE:
		CHECK(strcmp(a->data.create.customer_id,
		    b->data.create.customer_id) == 0);
		CHECK(strcmp(a->data.create.payment_method_id,
		    b->data.create.payment_method_id) == 0);
		CHECK(strcmp(a->data.create.store_id,
		    b->data.create.store_id) == 0);
		CHECK(a->data.create.nitems == b->data.create.nitems);
		for (i = 0; i < a->data.create.nitems; i++) {
			const struct oms_item *x = &a->data.create.items[i];
			const struct oms_item *y = &b->data.create.items[i];

			CHECK(strcmp(x->product_id, y->product_id) == 0);
			CHECK(strcmp(x->variant_id, y->variant_id) == 0);
			CHECK(x->quantity == y->quantity);
		}
		break;
	case OMS_CMD_UPDATE:
		CHECK(strcmp(a->data.update.ship_company_id,
		    b->data.update.ship_company_id) == 0);
		CHECK(strcmp(a->data.update.tracking_number,
		    b->data.update.tracking_number) == 0);
		break;
	case OMS_CMD_DELIVERED:
		CHECK(strcmp(a->data.delivered.tracking_id,
		    b->data.delivered.tracking_id) == 0);
		CHECK(strcmp(a->data.delivered.confirmation_id,
		    b->data.delivered.confirmation_id) == 0);
		break;
	default:
		break;
	}
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	 err[256], *json = NULL;
	size_t	 len = 0;

	err[0] = '\0';
	if (command_decode((const char *)data, size, &cmd, err,
	    sizeof(err)) != OMS_OK) {
		CHECK(err[0] != '\0');
		return 0;
	}
	CHECK((unsigned int)cmd.type < OMS_CMD_MAX);
	CHECK((unsigned int)cmd.role < OMS_ROLE_MAX);
	CHECK(command_time_valid(cmd.issued_at));
	CHECK(order_id_valid(cmd.command_id, strlen(cmd.command_id)));
	CHECK(order_id_valid(cmd.order_id, strlen(cmd.order_id)));
	if (cmd.role == OMS_ROLE_CUSTOMER)
		CHECK(cmd.customer_id[0] != '\0');

	err[0] = '\0';
	if (command_encode(&cmd, &json, &len, err, sizeof(err)) != OMS_OK) {
		fprintf(stderr, "fuzz_command: encode failed: %s\n", err);
		abort();
	}
	CHECK(json != NULL && strlen(json) == len);
	if (command_decode(json, len, &back, err, sizeof(err)) != OMS_OK) {
		fprintf(stderr, "fuzz_command: re-decode failed: %s\n", err);
		abort();
	}
	check_same(&cmd, &back);
	free(json);
	return 0;
}
