# Entry points. `make run` and `make test` work on a fresh machine: they install what is missing.
SHELL := /bin/bash
STAMP := node_modules/.cutroom-installed

.PHONY: run test build bench bench-smoke docs clean

$(STAMP): package-lock.json package.json control-plane/package.json render-node/package.json
	npm ci --no-audit --no-fund
	@touch $@

build: $(STAMP)
	npx tsc -b

run: build
	@scripts/ensure-ffmpeg.sh
	node control-plane/dist/main.js serve

test: build
	scripts/ensure-test-deps.sh
	npx tsc -p tsconfig.tests.json
	npx vitest run
	$(MAKE) --no-print-directory bench-smoke

bench: build
	node --import tsx bench/run.ts

# Every benchmark at a tiny size, so they keep working; figures from it mean nothing.
bench-smoke: build
	BENCH_SIZE=smoke node --import tsx bench/run.ts

# The OpenAPI document, written from the running schemas into docs/openapi.json.
docs: build
	node --import tsx scripts/write-openapi.ts

clean:
	rm -rf node_modules control-plane/dist render-node/dist */tsconfig.tsbuildinfo
