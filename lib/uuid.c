/*
 * UUIDv7 generation (RFC 9562 section 5.7) with monotonicity by RFC 9562
 * section 6.2 method 1, a fixed-length dedicated counter: the 12 bits of
 * rand_a and the first 30 bits of rand_b form a 42-bit counter, the last
 * 32 bits are fresh random bits on every call. In a new millisecond the
 * counter is seeded at random with its top bit clear (so at least 2^41
 * increments fit); in the same millisecond, or when the clock steps back,
 * the last timestamp is kept and the counter incremented; should it ever
 * overflow, the timestamp is advanced by one millisecond (section 6.2
 * allows both). Random bytes come from getrandom(2). The state is per
 * process and reset when the pid changes, so the pre-forked children of
 * one master never continue the same sequence; a mutex guards it, so the
 * threads of one oms-fcgi child share one monotonic sequence.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "uuid.h"

#define UUID_COUNTER_BITS	42
#define UUID_COUNTER_MAX	((UINT64_C(1) << UUID_COUNTER_BITS) - 1)

static struct {
	pid_t		 pid;
	uint64_t	 ms;		/* timestamp of the last UUID */
	uint64_t	 counter;	/* its 42-bit counter */
} uuid_state;
static pthread_mutex_t uuid_lock = PTHREAD_MUTEX_INITIALIZER;

/* Fills buf with n random bytes. Returns 0, or -1 on failure. */
static int
uuid_random(unsigned char *buf, size_t n)
{
	while (n > 0) {
		ssize_t	 r;

		if ((r = getrandom(buf, n, 0)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Returns a random counter seed: 41 random bits, the top bit clear. */
static int
uuid_seed(uint64_t *counter)
{
	unsigned char	 b[6];
	uint64_t	 v = 0;
	size_t		 i;

	if (uuid_random(b, sizeof(b)) == -1)
		return -1;
	for (i = 0; i < sizeof(b); i++)
		v = v << 8 | b[i];
	*counter = v & (UUID_COUNTER_MAX >> 1);
	return 0;
}

void
uuid_format(const unsigned char b[16], char out[UUID_STR_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t	 i, n = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[n++] = '-';
		out[n++] = hex[b[i] >> 4];
		out[n++] = hex[b[i] & 0x0f];
	}
	out[n] = '\0';
}

enum oms_err
uuid_v7(char out[UUID_STR_LEN + 1])
{
	struct timespec	 ts;
	unsigned char	 b[16];
	uint64_t	 now, c;
	pid_t		 pid = getpid();

	out[0] = '\0';
	if (uuid_random(b + 12, 4) == -1)
		return OMS_EIO;
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	pthread_mutex_lock(&uuid_lock);
	if (pid != uuid_state.pid || now > uuid_state.ms) {
		if (uuid_seed(&uuid_state.counter) == -1) {
			pthread_mutex_unlock(&uuid_lock);
			return OMS_EIO;
		}
		uuid_state.pid = pid;
		uuid_state.ms = now;
	} else if (++uuid_state.counter > UUID_COUNTER_MAX) {
		if (uuid_seed(&uuid_state.counter) == -1) {
			pthread_mutex_unlock(&uuid_lock);
			return OMS_EIO;
		}
		uuid_state.ms++;
	}
	now = uuid_state.ms;
	c = uuid_state.counter;
	pthread_mutex_unlock(&uuid_lock);
	b[0] = (unsigned char)(now >> 40);
	b[1] = (unsigned char)(now >> 32);
	b[2] = (unsigned char)(now >> 24);
	b[3] = (unsigned char)(now >> 16);
	b[4] = (unsigned char)(now >> 8);
	b[5] = (unsigned char)now;
	b[6] = (unsigned char)(0x70 | ((c >> 38) & 0x0f));	/* ver 7 */
	b[7] = (unsigned char)(c >> 30);
	b[8] = (unsigned char)(0x80 | ((c >> 24) & 0x3f));	/* var 10 */
	b[9] = (unsigned char)(c >> 16);
	b[10] = (unsigned char)(c >> 8);
	b[11] = (unsigned char)c;
	uuid_format(b, out);
	return OMS_OK;
}

int
uuid_valid(const char *s)
{
	size_t	 i;

	if (s == NULL || strnlen(s, UUID_STR_LEN + 1) != UUID_STR_LEN)
		return 0;
	for (i = 0; i < UUID_STR_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return 1;
}

int
uuid_version(const char *s)
{
	if (!uuid_valid(s))
		return -1;
	return s[14] <= '9' ? s[14] - '0' : s[14] - 'a' + 10;
}

int64_t
uuid_v7_time(const char *s)
{
	int64_t	 ms = 0;
	size_t	 i;

	if (uuid_version(s) != 7)
		return -1;
	for (i = 0; i < 13; i++) {
		if (i == 8)
			continue;
		ms = ms * 16 + (s[i] <= '9' ? s[i] - '0' : s[i] - 'a' + 10);
	}
	return ms;
}
