/*
 * Dropping root: a daemon started as root opens what needs root (its
 * socket), then becomes an unprivileged user for good — groups first,
 * then gid, then uid, and checks it cannot get root back.
 */
#ifndef OMS_PRIVDROP_H
#define OMS_PRIVDROP_H

/* When running as root, switches to user (its gid and supplementary
 * groups). Does nothing when not root. Returns 0, or -1 with a log line
 * (unknown user, or a set*id call failed); the caller then exits. */
int	privdrop(const char *user);

#endif
