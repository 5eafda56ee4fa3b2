/*
 * metrics.c — request, latency and publish counters shared by the
 * pre-forked oms-fcgi children (see metrics.h). The mapping is
 * MAP_SHARED | MAP_ANONYMOUS, so children forked after metrics_init()
 * write to the same pages; __atomic builtins keep the counts exact
 * without locks. Statuses are counted per exact code for the codes oms
 * answers, and under "other" for the rest.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "metrics.h"

static const int metrics_codes[] = {
	200, 201, 202, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500,
	502, 503, 504
};
#define NCODES	(sizeof(metrics_codes) / sizeof(metrics_codes[0]))

/* Upper bounds of the latency buckets, seconds (+Inf implied). */
static const double metrics_le[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5
};
#define NBUCKETS	(sizeof(metrics_le) / sizeof(metrics_le[0]))

struct metrics_route {
	uint64_t	codes[NCODES + 1];	/* + "other" */
	uint64_t	buckets[NBUCKETS + 1];	/* + "+Inf" */
	uint64_t	sum_us;			/* total duration, µs */
};

struct metrics_shm {
	struct metrics_route	routes[METRICS_ROUTES_MAX + 1];
	uint64_t		published;
	uint64_t		publish_failed;
};

static struct metrics_shm *shm;
static const char *const *labels;
static size_t nlabels;

int
metrics_init(const char *const *route_labels, size_t nroutes)
{
	void *p;

	if (nroutes > METRICS_ROUTES_MAX)
		return -1;
	p = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	memset(p, 0, sizeof(*shm));
	shm = p;
	labels = route_labels;
	nlabels = nroutes;
	return 0;
}

static void
metrics_add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static uint64_t
metrics_get(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

void
metrics_request(size_t route, int status, double seconds)
{
	struct metrics_route *r;
	size_t i;

	if (shm == NULL)
		return;
	r = &shm->routes[route < nlabels ? route : nlabels];
	for (i = 0; i < NCODES && metrics_codes[i] != status; i++)
		;
	metrics_add(&r->codes[i], 1);
	for (i = 0; i < NBUCKETS && seconds > metrics_le[i]; i++)
		;
	metrics_add(&r->buckets[i], 1);
	metrics_add(&r->sum_us, seconds > 0 ? (uint64_t)(seconds * 1e6) : 0);
}

void
metrics_publish(int confirmed)
{
	if (shm != NULL)
		metrics_add(confirmed ? &shm->published : &shm->publish_failed,
		    1);
}

/* Appends printf output at *len, never past size. */
static void
metrics_cat(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
metrics_cat(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*len < size ? buf + *len : NULL,
	    *len < size ? size - *len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n;
}

size_t
metrics_render(char *buf, size_t size)
{
	size_t len = 0;

	if (size > 0)
		buf[0] = '\0';
	if (shm == NULL)
		return 0;
	metrics_cat(buf, size, &len,
	    "# HELP oms_build_info The version of oms serving (always 1).\n"
	    "# TYPE oms_build_info gauge\n"
	    "oms_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	metrics_cat(buf, size, &len,
	    "# HELP oms_http_requests_total HTTP requests answered by "
	    "oms-fcgi, by route and status.\n"
	    "# TYPE oms_http_requests_total counter\n");
	for (size_t r = 0; r <= nlabels; r++) {
		const char *label = r < nlabels ? labels[r] : "unmatched";

		for (size_t c = 0; c <= NCODES; c++) {
			uint64_t n = metrics_get(&shm->routes[r].codes[c]);
			char code[8];

			if (n == 0)
				continue;
			if (c < NCODES)
				snprintf(code, sizeof(code), "%d",
				    metrics_codes[c]);
			else
				snprintf(code, sizeof(code), "other");
			metrics_cat(buf, size, &len,
			    "oms_http_requests_total{route=\"%s\",code=\"%s\"} "
			    "%llu\n", label, code, (unsigned long long)n);
		}
	}
	metrics_cat(buf, size, &len,
	    "# HELP oms_http_request_duration_seconds Time from accepting a "
	    "request to its answer, by route.\n"
	    "# TYPE oms_http_request_duration_seconds histogram\n");
	for (size_t r = 0; r <= nlabels; r++) {
		const char *label = r < nlabels ? labels[r] : "unmatched";
		uint64_t cum = 0;

		for (size_t b = 0; b <= NBUCKETS; b++) {
			cum += metrics_get(&shm->routes[r].buckets[b]);
			if (b < NBUCKETS)
				metrics_cat(buf, size, &len,
				    "oms_http_request_duration_seconds_bucket"
				    "{route=\"%s\",le=\"%g\"} %llu\n", label,
				    metrics_le[b], (unsigned long long)cum);
			else
				metrics_cat(buf, size, &len,
				    "oms_http_request_duration_seconds_bucket"
				    "{route=\"%s\",le=\"+Inf\"} %llu\n", label,
				    (unsigned long long)cum);
		}
		metrics_cat(buf, size, &len,
		    "oms_http_request_duration_seconds_sum{route=\"%s\"} "
		    "%.6f\n"
		    "oms_http_request_duration_seconds_count{route=\"%s\"} "
		    "%llu\n", label,
		    (double)metrics_get(&shm->routes[r].sum_us) / 1e6, label,
		    (unsigned long long)cum);
	}
	metrics_cat(buf, size, &len,
	    "# HELP oms_commands_published_total Commands oms-fcgi "
	    "published, by broker confirm.\n"
	    "# TYPE oms_commands_published_total counter\n"
	    "oms_commands_published_total{result=\"confirmed\"} %llu\n"
	    "oms_commands_published_total{result=\"failed\"} %llu\n",
	    (unsigned long long)metrics_get(&shm->published),
	    (unsigned long long)metrics_get(&shm->publish_failed));
	return len;
}
