FROM fedora:40 AS fedora
RUN dnf -y install httpd && dnf -y install mod_ssl && dnf clean all && rm -rf /var/cache/dnf
FROM rockylinux:9 AS rocky
RUN yum install -y tar && yum clean all && rm -rf /var/cache/yum
FROM registry.access.redhat.com/ubi9/ubi-minimal:9.4 AS minimal
RUN microdnf install -y shadow-utils && microdnf clean all && rm -rf /var/cache/microdnf
FROM opensuse/leap:15.6
RUN zypper --non-interactive install -y curl && zypper clean --all
RUN zypper -n in git && zypper clean --all
