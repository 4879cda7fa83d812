# Secrets imgfix reports but cannot move safely: each is left as written.
ARG REGISTRY_TOKEN
FROM registry.example.com/base:${REGISTRY_TOKEN}
ARG REGISTRY_TOKEN
RUN echo "$REGISTRY_TOKEN" | base-login
# used in ENV: the value would reach the image config anyway
ARG NPM_TOKEN
ENV NODE_AUTH_TOKEN=$NPM_TOKEN
# used by a heredoc script with its own interpreter
ARG SENTRY_AUTH_TOKEN
RUN <<EOF
#!/bin/bash
sentry-cli releases new "$(cat VERSION)" --auth-token "$SENTRY_AUTH_TOKEN"
EOF
# a default value written in the Dockerfile
ARG DB_PASSWORD=changeme-please
RUN ./migrate --password "$DB_PASSWORD"
# used by no RUN that names it: a script may read it from its environment
ARG DEPLOY_KEY
RUN ./deploy.sh
# exec form
ARG API_TOKEN
RUN ["sh", "-c", "fetch --token $API_TOKEN"]
# an ENV with a literal credential
ENV AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
# a .netrc that nothing removes
COPY .netrc /root/.netrc
RUN pip install -r requirements.txt
CMD ["./app"]
