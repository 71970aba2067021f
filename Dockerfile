# One image for every role (web, worker, beat, migrate); docker-compose.yml picks the command.
FROM python:3.11-slim-bookworm

# PYTHONPATH: import the project from /app (with its templates), not from site-packages.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

# WeasyPrint's system libraries (PDF export), installed now while they are cheap to add.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
RUN pip install .

# Throwaway key used only so settings load for collectstatic; the runtime SECRET_KEY comes
# from the environment and is never baked into the image.
ARG COLLECTSTATIC_SECRET_KEY=collectstatic-build-only-not-secret
RUN DEBUG=false SECRET_KEY="$COLLECTSTATIC_SECRET_KEY" python manage.py collectstatic --no-input

RUN useradd --create-home --uid 10001 waypoint \
    && mkdir -p /app/media \
    && chown waypoint:waypoint /app/media
USER waypoint

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
