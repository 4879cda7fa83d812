FROM rust:1.79 AS builder
WORKDIR /usr/src/ferris
COPY . .
RUN cargo build --release

FROM gcr.io/distroless/cc-debian12:nonroot
WORKDIR /usr/src/ferris
COPY --from=builder /usr/src/ferris/target/release/ferris /usr/src/ferris/target/release/ferris
CMD ["./target/release/ferris"]
