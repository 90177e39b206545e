# Cairn's runtime image. It cannot be built on the development machines (they have no Docker engine); its structure
# and the publish command below are checked by tests/Cairn.Tests/Deploy/DockerfileTests.cs.
#
#   docker build -t cairn:0.1.0 .
#   docker build -t cairn:0.1.0-tools --build-arg DUMP_TOOLS="postgresql-client mariadb-client redis-tools" .
#   docker run --rm -v /etc/cairn:/etc/cairn:ro -e CAIRN_PASSWORD cairn:0.1.0 --config /etc/cairn/cairn.yaml job run platform

# Build stage: the SDK restores and publishes the CLI (framework-dependent: the runtime image brings .NET).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY src/ src/
RUN dotnet restore src/Cairn.Cli/Cairn.Cli.csproj
RUN dotnet publish src/Cairn.Cli/Cairn.Cli.csproj -c Release --no-restore -o /app

# Runtime stage: the .NET runtime on Debian, the published CLI, and optionally the dump tools some components run.
FROM mcr.microsoft.com/dotnet/runtime:10.0 AS runtime
# Debian packages of the dump tools, e.g. "postgresql-client mariadb-client redis-tools sqlite3" (default: none).
ARG DUMP_TOOLS=""
RUN if [ -n "$DUMP_TOOLS" ]; then \
        apt-get update && apt-get install -y --no-install-recommends $DUMP_TOOLS && rm -rf /var/lib/apt/lists/*; \
    fi
# A fixed non-root uid, which cairn deploy kubernetes's manifests name (runAsUser 10001).
RUN groupadd --gid 10001 cairn && useradd --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin cairn
COPY --from=build /app /opt/cairn
ENV HOME=/tmp DOTNET_CLI_TELEMETRY_OPTOUT=1
USER 10001:10001
ENTRYPOINT ["/opt/cairn/cairn"]
CMD ["--help"]
