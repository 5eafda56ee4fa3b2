/*
 * Prometheus metrics of oms-fcgi, aggregated across its pre-forked
 * children: the counters live in one shared anonymous mapping created by
 * the master before it forks, and every child adds to them with atomic
 * operations. Rendering follows the Prometheus text exposition format
 * 0.0.4.
 */
#ifndef OMS_METRICS_H
#define OMS_METRICS_H

#include <stddef.h>

#define METRICS_ROUTES_MAX	24

/* Creates the shared counters for nroutes routes (the labels are borrowed
 * and must outlive the process; index nroutes is "unmatched"). Call once,
 * before forking. Returns 0, or -1 if mmap failed. */
int	metrics_init(const char *const *route_labels, size_t nroutes);

/* Counts one answered request: route index (nroutes for no route), HTTP
 * status and duration. No-op before metrics_init. */
void	metrics_request(size_t route, int status, double seconds);

/* Counts one publish: confirmed (1) or failed (0). */
void	metrics_publish(int confirmed);

/* Appends the oms-fcgi metrics to buf (NUL-terminated, truncated at
 * size). Returns the length it needed. */
size_t	metrics_render(char *buf, size_t size);

#endif
