FROM debian:bookworm-slim
ENV LANG=C.UTF-8
ENV PATH=/usr/local/bin:$PATH
ENV GREETING="hello   big world"
ENV QUOTED="already quoted"
ENV MIXED="part one"\ part\ two
LABEL description="A small image"
# a comment inside a continuation stays
ENV JAVA_OPTS="-Xmx512m -Xms256m"
ENV ESCAPED=a\ b
ENV SINGLE='it is'
ENV MODERN=1 ALSO=2
LABEL version=1.0
ENV EMPTY=""
ENV OPTS="a \
    # a comment inside the continuation
    b"
CMD ["bash"]
