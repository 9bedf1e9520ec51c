# Two entry points for a fresh machine: `make demo` and `make test`.
# Everything is installed into ./.venv by the targets themselves.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LOCALE := connector/locale
DEMO_DIR := demo
# Signs the demo's referral form link; fixed so the demo needs no set-up. Never use it live.
DEMO_FORM_SECRET := demo-only-referral-form-secret-not-for-production

.PHONY: demo test test-postgres lint typecheck unit clean i18n-extract i18n-update i18n-compile

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/pybabel compile --domain refnet --directory $(LOCALE) --statistics
	touch $(STAMP)

# --- translations (connector/locale/README.md) ---
# No line numbers: they would change with every edit and make every merge conflict.
i18n-extract: $(STAMP)
	$(BIN)/pybabel extract --mapping-file $(LOCALE)/babel.cfg --output-file $(LOCALE)/refnet.pot \
		--no-location --sort-output --project refnet --copyright-holder refnet \
		--keywords pgettext:1c,2 connector mappings adapters webhooks

i18n-update: i18n-extract
	$(BIN)/pybabel update --domain refnet --input-file $(LOCALE)/refnet.pot --output-dir $(LOCALE) \
		--no-fuzzy-matching --ignore-obsolete --no-location

i18n-compile: $(STAMP)
	$(BIN)/pybabel compile --domain refnet --directory $(LOCALE) --statistics

# Tables are sized to the terminal; under make there is none, so give them room.
demo: export COLUMNS = 150
demo: $(STAMP)
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	cd $(DEMO_DIR) && ../$(BIN)/refnet init
	cd $(DEMO_DIR) && ../$(BIN)/refnet import ../examples/sample/members.csv \
		../examples/sample/connections.csv ../examples/sample/referrals.csv \
		../examples/sample/programme.json
	@echo "--- the sandbox org already holds a customer's Accounts, Contacts and Opportunities"
	cd $(DEMO_DIR) && ../$(BIN)/refnet sandbox --stats
	@echo "--- first sync into the local CRM sandbox (provisions the schema, sends everything)"
	cd $(DEMO_DIR) && ../$(BIN)/refnet sync --target sandbox
	@echo "--- after the first sync: members linked to existing records, duplicates unchanged"
	cd $(DEMO_DIR) && ../$(BIN)/refnet sandbox --stats
	@echo "--- what refnet would not guess: the company entered twice, reported, not duplicated"
	cd $(DEMO_DIR) && ../$(BIN)/refnet runs rejected
	@echo "--- second sync: nothing changed, so nothing is sent (bar the reported records, retried)"
	cd $(DEMO_DIR) && ../$(BIN)/refnet sync --target sandbox
	@echo "--- the same into the sandbox's HubSpot portal, which already holds contacts and companies:"
	@echo "    the dry run shows which members link to them (and one ambiguous), the sync creates no duplicate"
	cd $(DEMO_DIR) && ../$(BIN)/refnet sync --target sandbox-hubspot --dry-run --object member
	cd $(DEMO_DIR) && ../$(BIN)/refnet sync --target sandbox-hubspot
	@echo "--- HubSpot again: nothing changed, so only the ambiguous company is tried again"
	@echo "    (refused until an admin sets its hubspot_company_id); one e-mail sales spelled otherwise is read back"
	cd $(DEMO_DIR) && ../$(BIN)/refnet sync --target sandbox-hubspot
	cd $(DEMO_DIR) && ../$(BIN)/refnet runs
	cd $(DEMO_DIR) && ../$(BIN)/refnet report
	@echo "--- the customer club (issue #18): the moderator's to-dos, whom to invite next, the pilot review"
	cd $(DEMO_DIR) && ../$(BIN)/refnet club todo
	cd $(DEMO_DIR) && ../$(BIN)/refnet club invite-candidates --top 5
	cd $(DEMO_DIR) && ../$(BIN)/refnet club review
	@echo "--- the referral form: a signed link with which a customer recommends someone"
	@echo "    (served by refnet serve at /empfehlen/<token>; revoke with --revoke)"
	cd $(DEMO_DIR) && REFNET_REFERRAL_FORM_SECRET=$(DEMO_FORM_SECRET) \
		REFNET_REFERRAL_FORM_PUBLIC_BASE_URL=https://hooks.example.com \
		../$(BIN)/refnet members link mem-cus-001
	@echo "--- giving back (issue #18): the contributions ledger and the thank-you rewards still owed"
	@echo "    (the report's win-win balance and partner health count them; the sample's reward rule is"
	@echo "    examples/sample/refnet.toml: winning a referral by hand owes its referrer a voucher)"
	cp examples/sample/refnet.toml $(DEMO_DIR)/refnet.toml
	cd $(DEMO_DIR) && ../$(BIN)/refnet contributions list --member mem-par-02
	cd $(DEMO_DIR) && ../$(BIN)/refnet advance referral ref-0377 won --amount 18.500,00 \
		--reason "Auftrag erteilt"
	cd $(DEMO_DIR) && ../$(BIN)/refnet rewards list

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The referral form's tests drive Debian's Chromium: installed here when missing (as root),
# so `make test` on a fresh machine needs nothing installed by hand.
unit: $(STAMP)
	.ci/chromium.sh
	$(BIN)/pytest

test: lint typecheck unit

# The same suite against a real PostgreSQL server: a throw-away cluster on loopback
# (.ci/postgres.sh installs Debian's postgresql when it is missing and this is root).
test-postgres: $(STAMP)
	@dir=$$(mktemp -d) && url=$$(.ci/postgres.sh start $$dir) && \
	  trap ".ci/postgres.sh stop $$dir" EXIT && \
	  echo "--- test suite on $$url" && \
	  REFNET_TEST_DATABASE_URL=$$url $(BIN)/pytest

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
