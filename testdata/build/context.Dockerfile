# Copies the whole context: .dockerignore must keep notes/ out.
FROM scratch
COPY . /ctx/
