# syntax=docker/dockerfile:1
# oms — one image for oms-fcgi, oms-worker, oms-notify, omsctl,
# oms-provider-sim and the Compose init step
# (compose/init). Build: docker build -t oms . (docker-compose.yml does).

# ---------------------------------------------------------------- build
FROM debian:12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      autoconf automake make gcc libc6-dev pkg-config \
      libfcgi-dev librabbitmq-dev libjson-c-dev libhiredis-dev libssl-dev check \
      libjemalloc-dev libmicrohttpd-dev libcurl4-openssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The unit tests only: the integration tests start their own servers.
RUN ./bootstrap \
 && mkdir -p /build && cd /build \
 && /src/configure --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
      --with-systemdsystemunitdir=no --with-jemalloc=yes \
 && make -j"$(nproc)" \
 && make check TESTS='$(UNIT_TESTS)' \
 && make install DESTDIR=/out

# ---------------------------------------------------------------- runtime
FROM debian:12-slim
# The version, from configure.ac (scripts/version); the release workflow
# passes it and tags the image with it.
ARG OMS_VERSION=unknown
LABEL org.opencontainers.image.title="oms" \
      org.opencontainers.image.version="$OMS_VERSION"
# Shared libraries of the programs; libfcgi-bin for cgi-fcgi (the
# healthcheck speaks FastCGI); openssl for compose/init (RabbitMQ hashes).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libfcgi0ldbl librabbitmq4 libjson-c5 libhiredis0.14 libssl3 libjemalloc2 \
      libmicrohttpd12 libcurl4 libfcgi-bin openssl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 oms \
 && useradd --system --uid 10001 --gid oms --home-dir /nonexistent \
      --no-create-home --shell /usr/sbin/nologin oms
COPY --from=build /out/ /
COPY compose/init /usr/libexec/oms/compose-init
USER oms:oms
# oms-fcgi on TCP: containers share no unix socket with nginx.
ENV OMS_FCGI_LISTEN=0.0.0.0:9000
EXPOSE 9000
STOPSIGNAL SIGTERM
# Liveness of oms-fcgi over FastCGI itself; docker-compose.yml sets its own
# per service.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD REQUEST_METHOD=GET REQUEST_URI=/healthz SCRIPT_NAME= \
      SERVER_PROTOCOL=HTTP/1.1 cgi-fcgi -bind -connect 127.0.0.1:9000 \
      | grep -q '"status":"ok"'
CMD ["oms-fcgi"]
