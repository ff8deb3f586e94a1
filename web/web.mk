# The web console (web/): npm packages, the typed API client, the build, and the browser its
# tests drive. Included by the Makefile; `make run` and `make test` depend on what they need.
WEB_STAMP := web/node_modules/.installed
WEB_SRC := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json web/public/config.json

.PHONY: web-deps web-build web-schema web-browser web-dev

$(WEB_STAMP): web/package.json web/package-lock.json
	@command -v npm >/dev/null || { echo "web: npm is missing: install Node.js 20+ (e.g. apt-get install -y nodejs npm)"; exit 1; }
	@cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

web-deps: $(WEB_STAMP)

# vue-tsc runs first: a route or field the API no longer has fails the build.
web/dist/index.html: $(WEB_STAMP) $(WEB_SRC)
	@cd web && npm run -s build >/dev/null && echo "web: built web/dist"

web-build: web/dist/index.html  ## build the web console (typechecked against web/src/api/schema.d.ts)

web-schema: $(STAMP) $(WEB_STAMP)  ## regenerate web/src/api/schema.d.ts from the app's /openapi.json
	@$(BIN)/python web/scripts/dump_openapi.py web/openapi.json
	@cd web && npm run -s gen:api

web-dev: $(WEB_STAMP)  ## Vite dev server with hot reload, proxying /api to a running `make run`
	@cd web && npx vite --port 5173

# Debian's chromium for the browser tests (no browser download: Playwright drives the system's).
web-browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "web: installing chromium and CJK fonts (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "web: Chromium is missing: run 'sudo apt-get install -y chromium fonts-noto-cjk'"; exit 1; fi; }
