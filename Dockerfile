# supamcp in a container: the release binary on Debian slim with the PostgreSQL 17 client programs that backups
# and restores run (pg_dump, pg_restore, psql), as a non-root user. MCP over stdio: `docker run -i --rm IMAGE`.
FROM rust:1-bookworm AS build
ARG SUPAMCP_COMMIT=unknown
ENV SUPAMCP_COMMIT=${SUPAMCP_COMMIT}
WORKDIR /src
COPY . .
RUN cargo build --release --locked && strip target/release/supamcp

FROM debian:bookworm-slim
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl gnupg \
    && curl -fsSL https://www.postgresql.org/media/keys/ACCC4CF8.asc \
       | gpg --dearmor -o /usr/share/keyrings/pgdg.gpg \
    && echo "deb [signed-by=/usr/share/keyrings/pgdg.gpg] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" \
       > /etc/apt/sources.list.d/pgdg.list \
    && apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-17 \
    && apt-get purge -y curl gnupg && apt-get autoremove -y \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 10001 --create-home --shell /usr/sbin/nologin supamcp
COPY --from=build /src/target/release/supamcp /usr/local/bin/supamcp
USER 10001:10001
WORKDIR /home/supamcp
ENV SUPAMCP_DATA_DIR=/home/supamcp/.supamcp
ENTRYPOINT ["/usr/local/bin/supamcp"]
CMD ["serve"]
