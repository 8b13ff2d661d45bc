# One image with every service binary; docker-compose.yml and deploy/k8s choose the command.
# Builds need no database: the query macros read the committed .sqlx/ data.
FROM rust:1.95-bookworm AS build
WORKDIR /src
ENV SQLX_OFFLINE=true CARGO_TERM_COLOR=never
COPY . .
RUN cargo build --release --locked --bin ats --bin bd --bin ta --bin dev-iam \
 && mkdir /out && cp target/release/ats target/release/bd target/release/ta target/release/dev-iam /out/

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 app
COPY --from=build /out/ /usr/local/bin/
COPY data /srv/data
WORKDIR /srv
USER app
ENV APP_ENV=production LOG_FORMAT=json
