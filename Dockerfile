# The qingdan application image: web (`qingdan serve`) and worker (`qingdan worker`).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    QINGDAN_DATA_DIR=/data

RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
    libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk postgresql-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir . ./plugins/jinchang ./plugins/anyang ./plugins/shuozhou \
 && npm ci --no-audit --no-fund --loglevel=error \
 && python -m qingdan.web.assets \
 && rm -rf node_modules

VOLUME ["/data"]
EXPOSE 8000
CMD ["qingdan", "serve", "--host", "0.0.0.0", "--port", "8000"]
