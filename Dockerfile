# Production image: build wheels in one stage, run as a non-root user in the next.
FROM python:3.11-slim AS build
WORKDIR /src
# Pass --build-arg TORCH_INDEX=<a CPU-only wheel index> to avoid the CUDA build of torch.
ARG TORCH_INDEX=""
RUN pip install --no-cache-dir --upgrade pip wheel
COPY pyproject.toml README.md ./
COPY app ./app
COPY handoff ./handoff
COPY disclosure ./disclosure
COPY migrations ./migrations
RUN pip wheel --no-cache-dir --wheel-dir /wheels ${TORCH_INDEX:+--index-url "$TORCH_INDEX"} torch==2.13.0 \
 && pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 tandem
WORKDIR /srv/tandem
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY frontend ./frontend
COPY migrations ./migrations
USER tandem
ENV HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1 \
    TANDEM_FRONTEND_DIR=/srv/tandem/frontend
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["tandem", "serve", "--host", "0.0.0.0", "--port", "8000"]
