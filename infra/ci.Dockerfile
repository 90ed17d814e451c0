# The image the build runs in: Node 22 (the functions' runtime, nodejs22), Java 17 and the gcloud CLI with the Pub/Sub and Firestore emulators (the
# test tiers start them), PostgreSQL (the tests use it when it runs; .ci/run starts it), Chromium (the browser tests) and gcloud for the deploy.
FROM node:22-bookworm
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless postgresql chromium apt-transport-https ca-certificates gnupg curl \
 && curl -fsSL https://packages.cloud.google.com/apt/doc/apt-key.gpg | gpg --dearmor -o /usr/share/keyrings/cloud.google.gpg \
 && echo 'deb [signed-by=/usr/share/keyrings/cloud.google.gpg] https://packages.cloud.google.com/apt cloud-sdk main' > /etc/apt/sources.list.d/google-cloud-sdk.list \
 && apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends google-cloud-cli google-cloud-cli-pubsub-emulator google-cloud-cli-firestore-emulator \
 && rm -rf /var/lib/apt/lists/*
