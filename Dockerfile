# callscribe with whisper.cpp from Debian's packages (sid packages it; the
# project never builds whisper.cpp from source).
#   docker build -t callscribe .
#   docker build --build-arg GGML_BACKEND=libggml0-backend-vulkan -t callscribe:vulkan .
# Models are not baked in: mount a folder at /models (CALLSCRIBE_MODEL_CACHE)
# or import one with `callscribe models get base`.

FROM debian:sid AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      golang-go ca-certificates gcc g++ libc6-dev pkg-config libwhisper-dev libggml-dev \
 && rm -rf /var/lib/apt/lists/*
# The Go bindings link -lggml-cpu, which Debian ships only as a run-time
# module: an empty archive satisfies the link (see scripts/sidroot.sh).
RUN mkdir -p /usr/local/lib/callscribe && printf '!<arch>\n' > /usr/local/lib/callscribe/libggml-cpu.a
ENV LIBRARY_PATH=/usr/local/lib/callscribe GOTOOLCHAIN=auto CGO_ENABLED=1
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN go build -tags whisper -ldflags "-X main.version=${VERSION}" -o /out/callscribe ./cmd/callscribe

FROM debian:sid
ARG GGML_BACKEND=
# ffmpeg: decodes every recording format but PCM/G.711 WAV (MP3, AAC/M4A,
# Ogg, FLAC, AMR, WMA, GSM and ADPCM in WAV), run as a subprocess.
RUN apt-get update && apt-get install -y --no-install-recommends \
      ca-certificates libwhisper1 ffmpeg ${GGML_BACKEND} \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/callscribe --create-home callscribe
COPY --from=build /out/callscribe /usr/local/bin/callscribe
USER callscribe
ENV CALLSCRIBE_MODEL_CACHE=/models CALLSCRIBE_DATA=/var/lib/callscribe
VOLUME ["/models", "/var/lib/callscribe"]
EXPOSE 4222 8080 9464
# /healthz answers 200 while serve is connected to NATS; the image has no
# curl, so the binary asks itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s CMD ["callscribe", "health", "-metrics", "127.0.0.1:9464"]
ENTRYPOINT ["callscribe"]
# A single host: embedded NATS, every role. The server admits only
# callscribe's component identities, whose nkey seeds serve makes on first
# start in /var/lib/callscribe/.config/callscribe/nats (mount a volume there
# to keep them, and give the call recorder its recorder.nk for ingest). On a
# cluster, pass -nats and -roles (see deploy/compose.yaml). The review UI speaks plain HTTP inside the container
# and expects TLS to end at the proxy or ingress in front of it; serve
# refuses a network address without TLS unless told so (-web-insecure-http,
# logged at every start). To serve HTTPS itself, replace that flag with
# -web-cert and -web-key.
CMD ["serve", "-listen", "0.0.0.0", "-metrics", "0.0.0.0:9464", "-web", "0.0.0.0:8080", "-web-insecure-http"]
