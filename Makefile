# Entry points. `make run` and `make test` work on a fresh machine: they install what is missing.
SHELL := /bin/bash
STAMP := node_modules/.cutroom-installed

.PHONY: run test build bench bench-smoke docs clean

$(STAMP): package-lock.json package.json control-plane/package.json render-node/package.json console/package.json
	npm ci --no-audit --no-fund
	@touch $@

# The server (tsc) and the web console (Vite, into console/dist, served by the control plane).
build: $(STAMP)
	npx tsc -b
	npm run build --silent -w @cutroom/console

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
	npm run types --silent -w @cutroom/console

clean:
	rm -rf node_modules control-plane/dist render-node/dist console/dist console/src/api/schema.d.ts */tsconfig.tsbuildinfo test-artifacts
