/*
 * One error vocabulary for every oms module: services return an enum
 * oms_err and fill out-parameters; HTTP statuses are chosen from it in one
 * place (fcgi-app/http.c).
 */
#ifndef OMS_ERR_H
#define OMS_ERR_H

enum oms_err {
	OMS_OK = 0,
	OMS_EINVAL,	/* the input is invalid */
	OMS_ENOMEM,	/* out of memory */
	OMS_EIO,	/* an I/O or system call failed */
	OMS_EAUTH,	/* not authenticated */
	OMS_EFORBIDDEN,	/* authenticated but not allowed */
	OMS_ENOTFOUND,	/* no such resource */
	OMS_ECONFLICT,	/* the resource's state forbids the operation */
	OMS_EUNAVAIL,	/* a backing service (RabbitMQ, Redis) is unreachable */
	OMS_ETOOBIG,	/* a size limit was exceeded */
	OMS_ETIMEOUT,	/* a deadline passed; the outcome may be unknown */
	OMS_EINTERNAL,	/* a bug: an impossible state was reached */
	OMS_ERR_MAX
};

/* Returns a static, human-readable description of err; never NULL. */
const char *oms_strerror(enum oms_err err);

/* Returns the stable machine name of err ("EINVAL", ...); never NULL. */
const char *oms_errname(enum oms_err err);

#endif
