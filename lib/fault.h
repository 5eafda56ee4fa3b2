/*
 * Fault injection for tests, compiled in only with
 * ./configure --enable-fault-injection (OMS_FAULT_INJECTION). OMS_FAULT holds
 * a comma-separated list of NAME or NAME=NUMBER, e.g.
 *   OMS_FAULT=fcgi-slow-request-ms=3000
 * Without the configure option every query answers "not set" and the
 * environment is never read.
 */
#ifndef OMS_FAULT_H
#define OMS_FAULT_H

/* 1 when the binary was built with fault injection. */
int	fault_enabled(void);

/* The value of fault NAME in OMS_FAULT: its number, 1 when it has none, 0
 * when it is not set or fault injection is not compiled in. */
long	fault_value(const char *name);

#endif
