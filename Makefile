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
		--no-fuzzy-matching --ignore-obsolete

i18n-compile: $(STAMP)
	$(BIN)/pybabel compile --domain refnet --directory $(LOCALE) --statistics

# The demo's narration speaks the language refnet speaks (REFNET_LANGUAGE, else the locale):
# refnet itself says which, so the rule lives in one place (connector/i18n.py). Each
# narration line is given in English and German; $(SAY) prints the one to show.
DEMO_LANGUAGE_OF_REFNET = $(BIN)/python -c \
	"from connector.i18n import language_from_environment; print(language_from_environment())"
SAY = say() { if [ "$(DEMO_LANGUAGE)" = de ]; then echo "$$2"; else echo "$$1"; fi; }; say

# Tables are sized to the terminal; under make there is none, so give them room.
demo: export COLUMNS = 150
demo: $(STAMP)
	$(eval DEMO_LANGUAGE := $(shell $(DEMO_LANGUAGE_OF_REFNET)))
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	cd $(DEMO_DIR) && ../$(BIN)/refnet init
	cd $(DEMO_DIR) && ../$(BIN)/refnet import ../examples/sample/members.csv \
		../examples/sample/connections.csv ../examples/sample/referrals.csv \
		../examples/sample/programme.json
	@$(SAY) "--- the sandbox org already holds a customer's Accounts, Contacts and Opportunities" \
		"--- die Sandbox-Org enthält schon Accounts, Contacts und Opportunities eines Kunden"
	cd $(DEMO_DIR) && ../$(BIN)/refnet sandbox --stats
	@$(SAY) "--- first sync into the local CRM sandbox (provisions the schema, sends everything)" \
		"--- erste Synchronisierung in die lokale CRM-Sandbox (richtet das Schema ein, sendet alles)"
	cd $(DEMO_DIR) && ../$(BIN)/refnet sync --target sandbox
	@$(SAY) "--- after the first sync: members linked to existing records, duplicates unchanged" \
		"--- nach der ersten Synchronisierung: Mitglieder mit vorhandenen Datensätzen verknüpft, Dubletten unverändert"
	cd $(DEMO_DIR) && ../$(BIN)/refnet sandbox --stats
	@$(SAY) "--- what refnet would not guess: the company entered twice, reported, not duplicated" \
		"--- was refnet nicht rät: die doppelt erfasste Firma wird gemeldet, nicht verdoppelt"
	cd $(DEMO_DIR) && ../$(BIN)/refnet runs rejected
	@$(SAY) "--- second sync: nothing changed, so nothing is sent (bar the reported records, retried)" \
		"--- zweite Synchronisierung: nichts geändert, also wird nichts gesendet (außer den gemeldeten Datensätzen, erneut versucht)"
	cd $(DEMO_DIR) && ../$(BIN)/refnet sync --target sandbox
	@$(SAY) "--- the same into the sandbox's HubSpot portal, which already holds contacts and companies:" \
		"--- dasselbe in das HubSpot-Portal der Sandbox, das schon Kontakte und Firmen enthält:"
	@$(SAY) "    the dry run shows which members link to them (and one ambiguous), the sync creates no duplicate" \
		"    der Probelauf zeigt, welche Mitglieder mit ihnen verknüpft werden (und eines mehrdeutig), die Synchronisierung legt keine Dublette an"
	cd $(DEMO_DIR) && ../$(BIN)/refnet sync --target sandbox-hubspot --dry-run --object member
	cd $(DEMO_DIR) && ../$(BIN)/refnet sync --target sandbox-hubspot
	@$(SAY) "--- HubSpot again: nothing changed, so only the ambiguous company is tried again" \
		"--- noch einmal HubSpot: nichts geändert, also wird nur die mehrdeutige Firma erneut versucht"
	@$(SAY) "    (refused until an admin sets its hubspot_company_id); one e-mail sales spelled otherwise is read back" \
		"    (abgewiesen, bis ein Admin ihre hubspot_company_id setzt); eine E-Mail, die der Vertrieb anders schrieb, wird zurückgelesen"
	cd $(DEMO_DIR) && ../$(BIN)/refnet sync --target sandbox-hubspot
	cd $(DEMO_DIR) && ../$(BIN)/refnet runs
	cd $(DEMO_DIR) && ../$(BIN)/refnet report
	@$(SAY) "--- the customer club (issue #18): the moderator's to-dos, whom to invite next, the pilot review" \
		"--- der Kundenclub (Issue #18): die Aufgaben des Moderators, wen als Nächstes einladen, die Auswertung der Pilotphase"
	cd $(DEMO_DIR) && ../$(BIN)/refnet club todo
	cd $(DEMO_DIR) && ../$(BIN)/refnet club invite-candidates --top 5
	cd $(DEMO_DIR) && ../$(BIN)/refnet club review
	@$(SAY) "--- joint events and relationship upkeep (issue #18): club evenings and partner events," \
		"--- gemeinsame Veranstaltungen und Beziehungspflege (Issue #18): Clubabende und Partnerveranstaltungen,"
	@$(SAY) "    step-1 coverage (who has delivered their network) and cooling strong ties" \
		"    Analyse (Schritt 1: wer sein Netzwerk geliefert hat) und abkühlende starke Kontakte"
	cd $(DEMO_DIR) && ../$(BIN)/refnet events list --from 01.01.2026
	cd $(DEMO_DIR) && ../$(BIN)/refnet report \
		| grep -A 16 -E "^(step 1 coverage|cooling relationships|Analyse \(Schritt 1\)|abkühlende Kontakte)"
	@$(SAY) "--- the referral form: a signed link with which a customer recommends someone" \
		"--- das Empfehlungsformular: ein signierter Link, mit dem ein Kunde jemanden empfiehlt"
	@$(SAY) "    (served by refnet serve at /empfehlen/<token>; revoke with --revoke)" \
		"    (von refnet serve unter /empfehlen/<token> bereitgestellt; widerrufen mit --revoke)"
	cd $(DEMO_DIR) && REFNET_REFERRAL_FORM_SECRET=$(DEMO_FORM_SECRET) \
		REFNET_REFERRAL_FORM_PUBLIC_BASE_URL=https://hooks.example.com \
		../$(BIN)/refnet members link mem-cus-001
	@$(SAY) "--- giving back (issue #18): the contributions ledger and the thank-you rewards still owed" \
		"--- Geben und Nehmen (Issue #18): die Beiträge und die noch ausstehenden Dankeschöns"
	@$(SAY) "    (the report's win-win balance and partner health count them; the sample's reward rule is" \
		"    (die Win-win-Bilanz und der Win-win-Zustand der Partner im Bericht zählen sie; die Dankeschön-Regel steht in"
	@$(SAY) "    examples/sample/refnet.toml: winning a referral by hand owes its referrer a voucher)" \
		"    examples/sample/refnet.toml: eine von Hand gewonnene Empfehlung schuldet ihrem Empfehler einen Gutschein)"
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
