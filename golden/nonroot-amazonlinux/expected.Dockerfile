FROM amazonlinux:2023
RUN dnf install -y python3 && dnf clean all
# hadolint ignore=DL3033
RUN yum install -y shadow-utils && yum clean all \
    && groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /home/app \
    && chown 10001:10001 /home/app
USER 10001:10001
CMD ["python3", "-c", "print(1)"]
