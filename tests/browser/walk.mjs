// Walks every dialog of the Bandwidth Voice integration in Home Assistant's
// real frontend, in headless Chromium, and fails on what a person should never
// see: a raw translation key, a formatjs error, a field of the integration
// shown only as a YAML editor. Run by scripts/browser-test, which installs
// nothing: scripts/setup does (Debian's chromium, this folder's npm packages,
// the frontend Home Assistant pins).
//
// It starts the Bandwidth sandbox and Home Assistant (from .venv, with a
// throw-away configuration), onboards Home Assistant through its REST API and
// saves a PNG of every step in the output folder.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const WORK = path.join(REPO, '.browser-test');
const OUT = process.env.BROWSER_TEST_OUT || path.join(WORK, 'screenshots');
const CHROMIUM = process.env.BROWSER_TEST_CHROMIUM || '/usr/bin/chromium';
// Chromium must not reach for the network this machine does not have.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// Longest wait for one thing to appear; Home Assistant answers in well under.
const TIMEOUT = 20_000;
// A text, number or multi-line input of a form (not the row's checkbox).
const TEXT_INPUT = 'wa-input input, wa-textarea textarea';

const OWNER = { name: 'Test Owner', username: 'owner', password: 'browser-test-password' };
const ACCOUNT_ID = '9900000';
const APPLICATION_ID = 'sandbox-application';
const OTHER_APPLICATION_ID = 'door-bell';
const CLIENT_ID = 'sandbox-client';
const CLIENT_SECRET = 'sandbox-secret';
const ROTATED_SECRET = 'rotated-sandbox-secret';
const USERNAME = 'sandbox-user';
const PASSWORD = 'sandbox-password';
const TITLE = 'Bandwidth Home alarm';
const OTHER_TITLE = 'Bandwidth Door bell';
// A contact of the first entry, renamed when edited.
const CONTACT = { name: 'Alex Doe', number: '+15555550101', pin: '2468' };
const RENAMED = 'Alex Smith';
// The integration's English texts, which the forms must show.
const STRINGS = JSON.parse(fs.readFileSync(
  path.join(REPO, 'custom_components', 'bandwidth', 'translations', 'en.json'),
  'utf8',
));
// The options form's fields, in order: who may talk to Assist (the former
// assist_callers) is set per contact.
const OPTION_FIELDS = [
  'from', 'voice', 'tts_entity_id', 'language', 'notify_to', 'calls_per_second',
  'max_calls_per_hour', 'allowed_country_codes', 'hold_time', 'inbound_calls',
  'ring_timeout', 'forward_to', 'assist_pipeline', 'assist_max_minutes',
  'assist_max_conversations', 'voicemail_when_unanswered',
  'voicemail_for_other_callers', 'voicemail_greeting', 'voicemail_max_duration',
  'voicemail_transcription', 'voicemail_stt_entity_id',
  'voicemail_delete_at_bandwidth', 'voicemail_retention_days', 'new_address',
];
// The options that came with contacts and voicemail: their labels and selectors.
const NEW_OPTIONS = {
  max_calls_per_hour: { label: 'Maximum calls per hour', selector: 'number' },
  allowed_country_codes: { label: 'Allowed country codes', selector: 'select', multiple: true },
  assist_max_minutes: { label: 'Longest conversation with Assist', selector: 'number', unit: 'min' },
  assist_max_conversations: { label: 'Conversations with Assist at once', selector: 'number' },
  voicemail_when_unanswered: { label: 'Voicemail when unanswered', selector: 'boolean' },
  voicemail_for_other_callers: { label: 'Voicemail for callers Assist does not answer', selector: 'boolean' },
  voicemail_greeting: { label: 'Voicemail greeting', selector: 'text' },
  voicemail_max_duration: { label: 'Longest voicemail message', selector: 'number', unit: 's' },
  voicemail_transcription: { label: 'Voicemail transcription', selector: 'select' },
  voicemail_stt_entity_id: { label: 'Speech-to-text entity for voicemail', selector: 'entity' },
  voicemail_delete_at_bandwidth: { label: 'Delete messages at Bandwidth once stored', selector: 'boolean' },
  voicemail_retention_days: { label: 'Keep voicemail messages for', selector: 'number', unit: 'd' },
  new_address: { label: 'New address for the Voice application', selector: 'boolean' },
};
// The object fields' order in services.yaml (tests/test_action_form.py).
const GATHER_FIELDS = [
  'prompt', 'max_digits', 'terminating_digits', 'first_digit_timeout',
  'inter_digit_timeout', 'repeat_count',
];
const MACHINE_DETECTION_FIELDS = [
  'mode', 'detection_timeout', 'silence_timeout', 'speech_threshold',
  'speech_end_threshold', 'machine_speech_end_threshold', 'delay_result',
  'callback_url', 'callback_method', 'fallback_url', 'fallback_method',
  'username', 'password', 'fallback_username', 'fallback_password',
];

// What must never be on screen: untranslated keys and failed placeholders.
const FORBIDDEN = [
  /component\.bandwidth\./,
  /\[%key:/,
  /formatjs/i,
  /MISSING_VALUE/,
];
// A field name shown as its own label: the translation is missing.
const RAW_NAME = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$/;
// A placeholder or label the frontend had no value for.
const NO_VALUE = /\bundefined\b/;
// Where the integration's own words and fields are shown: its flows, the
// action form and the form of an object field, its repair issues, the cards
// of a contact's device page.
const OURS = [
  'dialog-data-entry-flow', 'ha-service-control', 'dialog-form', 'dialog-repairs-issue',
  'ha-device-entities-card',
];

const docsShots = new Map();
let lastShot = null;
let shotCount = 0;
const processes = [];

// --- Processes --------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function start(name, args, env) {
  const log = fs.openSync(path.join(OUT, `${name}.log`), 'w');
  // Nothing here talks to the internet. A CA bundle named in the environment
  // can be rewritten under a starting process (by ../shared/tools/py314), and
  // then Home Assistant fails to start; without it, certifi's bundle is used.
  const inherited = { ...process.env };
  delete inherited.REQUESTS_CA_BUNDLE;
  delete inherited.SSL_CERT_FILE;
  const child = spawn(path.join(REPO, 'scripts', 'in-venv'), ['.venv', ...args], {
    cwd: REPO,
    env: { ...inherited, PYTHONUNBUFFERED: '1', ...env },
    stdio: ['ignore', log, log],
  });
  child.name = name;
  child.exited = new Promise((resolve) => child.on('exit', resolve));
  processes.push(child);
  return child;
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await child.exited;
  clearTimeout(timer);
}

async function stopAll() {
  await Promise.all(processes.map(stop));
}

async function waitFor(what, check, child, seconds) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`${child.name} exited while waiting for ${what}; see ${child.name}.log`);
    }
    try {
      if (await check()) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function startSandbox(port, clientSecret) {
  const child = start(`sandbox-${clientSecret === CLIENT_SECRET ? 'first' : 'rotated'}`, [
    'python', '-m', 'sandbox',
    '--port', String(port),
    '--client-secret', clientSecret,
    '--add-application', `${OTHER_APPLICATION_ID}=Door bell`,
  ]);
  return waitFor(
    'the sandbox',
    () => new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.end(); resolve(true); });
      socket.on('error', () => resolve(false));
    }),
    child,
    30,
  ).then(() => child);
}

// --- Home Assistant's REST API ----------------------------------------------

async function api(haUrl, method, route, body, token, form = false) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  let data;
  if (body !== undefined) {
    headers['Content-Type'] = form ? 'application/x-www-form-urlencoded' : 'application/json';
    data = form ? new URLSearchParams(body).toString() : JSON.stringify(body);
  }
  const response = await fetch(haUrl + route, { method, headers, body: data });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: HTTP ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// Creates the owner and finishes every onboarding step, as the onboarding
// pages would; returns the owner's tokens.
async function onboard(haUrl) {
  const clientId = `${haUrl}/`;
  const { auth_code: code } = await api(haUrl, 'POST', '/api/onboarding/users', {
    client_id: clientId,
    name: OWNER.name,
    username: OWNER.username,
    password: OWNER.password,
    language: 'en',
  });
  const tokens = await api(
    haUrl, 'POST', '/auth/token',
    { grant_type: 'authorization_code', code, client_id: clientId }, null, true,
  );
  const token = tokens.access_token;
  await api(haUrl, 'POST', '/api/onboarding/core_config', {}, token);
  await api(haUrl, 'POST', '/api/onboarding/analytics', {}, token);
  await api(haUrl, 'POST', '/api/onboarding/integration',
    { client_id: clientId, redirect_uri: `${clientId}?auth_callback=1` }, token);
  return tokens;
}

// --- Checks -----------------------------------------------------------------

// Every text node of the page, through open shadow roots; for those inside
// the integration's dialogs and forms, whether they are.
function pageTexts(ours) {
  const texts = [];
  const walk = (node, inside) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const text = node.textContent.trim();
      if (text) texts.push({ text, ours: inside });
      return;
    }
    if (node.nodeType === Node.ELEMENT_NODE) {
      if (['SCRIPT', 'STYLE', 'TEMPLATE'].includes(node.tagName)) return;
      inside = inside || ours.includes(node.localName);
      if (node.shadowRoot) walk(node.shadowRoot, inside);
    }
    for (const child of node.childNodes) walk(child, inside);
  };
  walk(document.body, false);
  return texts;
}

// The fields of the flow form on screen: each one's name, selector, value,
// and the texts it shows (its label and description among them).
function flowFormFields() {
  const find = (root) => {
    for (const element of root.querySelectorAll('*')) {
      if (element.localName === 'ha-form' && element.schema) return element;
      const inner = element.shadowRoot && find(element.shadowRoot);
      if (inner) return inner;
    }
    return null;
  };
  const texts = (node, found) => {
    if (node.nodeType === Node.TEXT_NODE && node.textContent.trim()) found.push(node.textContent.trim());
    if (node.shadowRoot) texts(node.shadowRoot, found);
    for (const child of node.childNodes) texts(child, found);
    return found;
  };
  const form = find(document.querySelector('dialog-data-entry-flow')?.shadowRoot ?? document);
  if (!form) return [];
  const shown = new Map();
  for (const element of form.shadowRoot.querySelectorAll('*')) {
    if (element.schema?.name && !shown.has(element.schema.name)) shown.set(element.schema.name, element);
  }
  return form.schema.map((field) => {
    const element = shown.get(field.name);
    const [type, config] = Object.entries(field.selector ?? {})[0] ?? [];
    return {
      name: field.name,
      selector: type,
      config: config ?? {},
      value: element?.value,
      text: element ? texts(element, []).join(' ').replace(/\s+/g, ' ') : '',
    };
  });
}

// Code editors inside the integration's dialogs and action form.
function codeEditors(ours) {
  const found = [];
  const walk = (node, inside) => {
    if (node.nodeType === Node.ELEMENT_NODE) {
      inside = inside || ours.includes(node.localName);
      if (inside && ['ha-yaml-editor', 'ha-code-editor'].includes(node.localName)) {
        // Name the field: the heading of the row holding the editor.
        let row = node;
        while (row && row.localName !== 'ha-settings-row') {
          row = row.parentElement ?? row.getRootNode().host;
        }
        const heading = row?.querySelector('[slot="heading"]')?.textContent.trim();
        found.push(heading || node.localName);
      }
      if (node.shadowRoot) walk(node.shadowRoot, inside);
    }
    for (const child of node.childNodes) walk(child, inside);
  };
  walk(document.body, false);
  return found;
}

class Walk {
  constructor(page, haUrl, hassTokens) {
    this.page = page;
    this.haUrl = haUrl;
    this.hassTokens = hassTokens;
    this.consoleProblems = [];
    page.on('console', (message) => {
      if (FORBIDDEN.some((pattern) => pattern.test(message.text()))) {
        this.consoleProblems.push(message.text());
      }
    });
    page.on('pageerror', (error) => {
      if (FORBIDDEN.some((pattern) => pattern.test(String(error)))) {
        this.consoleProblems.push(String(error));
      }
    });
  }

  // Screenshot, then check everything on screen.
  async step(name, { docs } = {}) {
    // No hover highlight; let the last render settle before the picture.
    await this.page.mouse.move(640, 8);
    await this.page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    await this.page.waitForTimeout(300);
    shotCount += 1;
    const file = path.join(OUT, `${String(shotCount).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file });
    lastShot = file;
    if (docs) await this.docsShot(docs);
    console.log(`  ok ${path.basename(file)}`);

    const texts = await this.page.evaluate(pageTexts, OURS);
    const problems = [];
    for (const { text, ours } of texts) {
      if (FORBIDDEN.some((pattern) => pattern.test(text))) problems.push(`shows "${text}"`);
      if (ours && RAW_NAME.test(text)) problems.push(`shows the raw name "${text}"`);
      if (ours && NO_VALUE.test(text)) problems.push(`shows "${text}"`);
    }
    for (const editor of await this.page.evaluate(codeEditors, OURS)) {
      problems.push(`shows a YAML editor for "${editor}"`);
    }
    problems.push(...this.consoleProblems.splice(0).map((text) => `logged "${text}"`));
    if (problems.length) throw new Error(`${name}: ${[...new Set(problems)].join('; ')}`);
  }

  // A picture for the README: the open dialog alone, or the top of the page.
  async docsShot({ name, dialog = false, height = 860 }) {
    const file = path.join(OUT, `docs-${name}`);
    if (dialog) {
      const box = await this.page.locator('wa-dialog dialog[open]').last().boundingBox();
      await this.page.screenshot({ path: file, clip: box });
    } else {
      await this.page.screenshot({ path: file, clip: { x: 0, y: 0, width: 1280, height } });
    }
    docsShots.set(name, file);
  }

  text(text, exact = true) {
    return this.page.getByText(text, { exact }).first();
  }

  async see(text, exact = true) {
    await this.text(text, exact).waitFor({ timeout: TIMEOUT });
  }

  button(name) {
    return this.page.getByRole('button', { name, exact: true }).last();
  }

  async click(name) {
    await this.button(name).click();
  }

  field(name) {
    return this.page.locator(`input[name="${name}"], textarea[name="${name}"]`).last();
  }

  // The open flow form's fields: name, selector, value and the texts each shows.
  async formFields() {
    return this.page.evaluate(flowFormFields);
  }

  // The selects of the device page: label, value and choices of each, once
  // there are this many (and they hold these values, by label).
  async deviceSelects(count, values = {}) {
    const handle = await this.page.waitForFunction(([expected, held]) => {
      const found = [];
      const walk = (node, inside) => {
        if (node.nodeType === Node.ELEMENT_NODE) {
          inside = inside || node.localName === 'ha-device-entities-card';
          if (inside && node.localName === 'ha-select') {
            found.push({ label: node.label, value: node.value, options: (node.options ?? []).map((option) => option.label) });
          }
          if (node.shadowRoot) walk(node.shadowRoot, inside);
        }
        for (const child of node.childNodes) walk(child, inside);
      };
      walk(document.body, false);
      const ready = found.length === expected && found.every((select) => select.options.length
        && (!(select.label in held) || held[select.label] === select.value));
      return ready && found;
    }, [count, values]);
    return handle.jsonValue();
  }

  // Fails unless the flow form's field holds this value (soon).
  async expectFieldValue(name, value) {
    const deadline = Date.now() + TIMEOUT;
    let held;
    while (JSON.stringify(held = (await this.formFields()).find((field) => field.name === name)?.value) !== JSON.stringify(value)) {
      if (Date.now() > deadline) throw new Error(`expected ${name} ${JSON.stringify(value)}, it holds ${JSON.stringify(held)}`);
      await this.page.waitForTimeout(100);
    }
  }

  // Fails unless the input shows this value (soon).
  async expectValue(locator, value) {
    const deadline = Date.now() + TIMEOUT;
    let shown;
    while ((shown = await locator.inputValue()) !== value) {
      if (Date.now() > deadline) throw new Error(`expected "${value}", shown "${shown}"`);
      await this.page.waitForTimeout(100);
    }
  }

  async fill(values) {
    for (const [name, value] of Object.entries(values)) {
      await this.field(name).fill(value);
    }
  }

  // Calls the websocket API through the frontend's own connection.
  async ws(message) {
    return this.page.evaluate((msg) => document.querySelector('home-assistant').hass.callWS(msg), message);
  }

  async goto(route, waitText) {
    await this.page.goto(this.haUrl + route);
    if (waitText) await this.see(waitText);
  }

  // Closes an unfinished flow's dialog; the frontend then deletes the flow,
  // which must be done before anything else (a left-over reconfigure flow
  // keeps Home Assistant from starting re-authentication). A contact's flow
  // is a subentry flow, under its own path.
  async closeDialog() {
    const deleted = this.page.waitForResponse((response) => response.request().method() === 'DELETE'
      && /\/api\/config\/config_entries\/(subentries\/)?flow\//.test(response.url()));
    await this.page.getByRole('button', { name: 'Close', exact: true }).last().click();
    await this.page.locator('dialog-data-entry-flow').waitFor({ state: 'hidden', timeout: TIMEOUT });
    await deleted;
  }

  async entries() {
    return api(this.haUrl, 'GET', '/api/config/config_entries/entry', undefined, this.hassTokens.access_token);
  }
}

// --- The walk ---------------------------------------------------------------

async function startFlow(walk, option) {
  // Through scripts/develop_sandbox/, which opens Bandwidth Voice's setup
  // with its Bandwidth API root field, as scripts/develop does.
  await walk.goto('/config/integrations/dashboard/add?domain=develop_sandbox');
  // The frontend first asks whether to set the integration up.
  await walk.see('Do you want to set up Bandwidth sandbox?');
  await walk.click('OK');
  await walk.see('Connect to Bandwidth');
  if (option) await walk.text(option).click();
}

async function setup(walk) {
  console.log('Setup: API credentials');
  await startFlow(walk);
  await walk.step('setup-menu');
  await walk.text('API credentials: client ID and secret').click();
  await walk.field('application_id').waitFor();
  await walk.fill({
    account_id: ACCOUNT_ID,
    application_id: 'no-such-application',
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    api_url: walk.sandboxUrl,
  });
  await walk.step('setup-oauth-form');
  await walk.click('Submit');
  await walk.see('Bandwidth has no application with this ID', false);
  await walk.step('setup-oauth-wrong-application', { docs: { name: 'setup-form.png', dialog: true } });
  await walk.fill({ application_id: APPLICATION_ID, client_secret: CLIENT_SECRET });
  await walk.click('Submit');
  // Its device, named after the entry, is offered an area.
  await walk.see('Name and assign');
  await walk.expectValue(walk.page.locator('dialog-data-entry-flow input').first(), TITLE);
  await walk.step('setup-oauth-created');
  await walk.click('Skip and finish');

  console.log('Setup: legacy API user');
  await startFlow(walk, 'Legacy API user: username and password');
  await walk.field('username').waitFor();
  await walk.fill({
    account_id: ACCOUNT_ID,
    application_id: OTHER_APPLICATION_ID,
    username: USERNAME,
    password: PASSWORD,
    api_url: walk.sandboxUrl,
  });
  await walk.step('setup-basic-form');
  await walk.click('Submit');
  // Its device, named after the entry, is offered an area.
  await walk.see('Name and assign');
  await walk.expectValue(walk.page.locator('dialog-data-entry-flow input').first(), OTHER_TITLE);
  await walk.step('setup-basic-created');
  await walk.click('Skip and finish');
}

async function entryRow(walk, title) {
  await walk.goto('/config/integrations/integration/bandwidth', title);
  return walk.page.locator('ha-config-entry-row').filter({ hasText: title }).first();
}

async function entryMenu(walk, title, item) {
  const row = await entryRow(walk, title);
  // The entry's own menu, before its device's.
  await row.getByRole('button', { name: 'Menu' }).first().click();
  await walk.page.getByRole('menuitem', { name: item }).last().click();
}

async function integrationPage(walk) {
  console.log('The integration page');
  // Onboarding set up a few other integrations; they are not looked at.
  for (const entry of await walk.entries()) {
    if (['google_translate', 'met', 'radio_browser', 'shopping_list'].includes(entry.domain)) {
      await api(walk.haUrl, 'DELETE', `/api/config/config_entries/entry/${entry.entry_id}`, undefined, walk.hassTokens.access_token);
    }
  }
  await walk.goto('/config/integrations/integration/bandwidth', TITLE);
  await walk.see(OTHER_TITLE);
  await walk.step('integration-entries', { docs: { name: 'entries.png', height: 620 } });
}

async function options(walk) {
  console.log('Options');
  const row = await entryRow(walk, TITLE);
  await row.getByRole('button', { name: 'Configure' }).first().click();
  await walk.see('Calls to your Bandwidth numbers');
  // The URL for calls received is shown, with the entry's secret for them.
  await walk.see('/api/webhook/', false);
  await walk.fill({ from: '5555550100' });
  await walk.step('options-form');
  const fields = await walk.formFields();
  const names = fields.map((field) => field.name);
  if (names.join() !== OPTION_FIELDS.join()) {
    throw new Error(`options-form: its fields are ${names.join(', ')}; expected ${OPTION_FIELDS.join(', ')}`);
  }
  // The options that came with contacts: labelled, described, and each with
  // the selector its values need.
  const descriptions = STRINGS.options.step.init.data_description;
  for (const field of fields.filter(({ name }) => name in NEW_OPTIONS)) {
    const { label, selector, multiple = false, unit } = NEW_OPTIONS[field.name];
    const wrong = [];
    if (!field.text.includes(label)) wrong.push(`no label "${label}"`);
    if (!field.text.includes(descriptions[field.name])) wrong.push('no description');
    if (field.selector !== selector) wrong.push(`a ${field.selector} selector`);
    if (Boolean(field.config.multiple) !== multiple) wrong.push(multiple ? 'one value only' : 'a list');
    if (unit && field.config.unit_of_measurement !== unit) wrong.push(`no unit ${unit}`);
    if (wrong.length) throw new Error(`options-form: ${field.name} shows ${wrong.join(', ')} (it shows "${field.text}")`);
  }
  // The country codes: a list to search, here for +1, the caller ID's own.
  const codes = walk.page.getByRole('button', { name: NEW_OPTIONS.allowed_country_codes.label, exact: true });
  await codes.scrollIntoViewIfNeeded();
  await codes.click();
  const search = walk.page.getByPlaceholder('Search', { exact: true }).last();
  await search.fill('+1');
  await walk.see('+1');
  await walk.step('options-country-codes');
  await search.press('Enter');
  await walk.expectFieldValue('allowed_country_codes', ['+1']);
  await walk.step('options-country-code-chosen');
  // The Assist fields, at the end of the form: a pipeline picker and limits.
  await walk.page.mouse.move(640, 500);
  await walk.page.mouse.wheel(0, 10000);
  await walk.see(NEW_OPTIONS.assist_max_conversations.label, false);
  await walk.step('options-assist');
  await walk.page.mouse.wheel(0, -10000);
  await walk.click('Submit');
  await walk.see('Enter one of your Bandwidth numbers in E.164 format', false);
  await walk.step('options-invalid-caller-id');
  await walk.fill({ from: '+15555550100' });
  await walk.click('Submit');
  await walk.see('Options successfully saved.', false);
  await walk.step('options-saved');
  await walk.click('Finish');
  await newAddress(walk);
}

// A new secret for the Voice application's URL: asked for on the options
// form, the new URL shown to copy on the next step.
async function newAddress(walk) {
  console.log('New address for the Voice application');
  const row = await entryRow(walk, TITLE);
  await row.getByRole('button', { name: 'Configure' }).first().click();
  await walk.see('Calls to your Bandwidth numbers');
  const label = NEW_OPTIONS.new_address.label;
  const toggle = walk.page.locator('ha-selector').filter({ hasText: label }).locator('ha-switch');
  await toggle.scrollIntoViewIfNeeded();
  await toggle.click();
  await walk.click('Submit');
  await walk.see('Paste it into your Voice application', false);
  await walk.see('/api/webhook/', false);
  // The new address, as a person would copy it into the Voice application.
  walk.inboundUrl = await walk.page.evaluate(() => {
    const found = [];
    const visit = (node) => {
      if (node.nodeType === Node.TEXT_NODE) found.push(node.textContent);
      if (node.shadowRoot) visit(node.shadowRoot);
      for (const child of node.childNodes) visit(child);
    };
    visit(document.body);
    return found.join(' ').match(/https?:\/\/\S+\/api\/webhook\/\S+/)?.[0];
  });
  if (!walk.inboundUrl) throw new Error('options-new-address: no URL shown');
  await walk.step('options-new-address');
  await walk.click('Submit');
  await walk.see('Options successfully saved.', false);
  await walk.click('Finish');
}

// A contact's row under its entry on the integration's page.
async function contactRow(walk, name) {
  const row = await entryRow(walk, TITLE);
  const contact = row.locator('ha-config-sub-entry-row').filter({ hasText: name }).first();
  await contact.waitFor();
  return contact;
}

async function contacts(walk) {
  console.log('Contacts');
  const contact = STRINGS.config_subentries.contact;
  const errors = contact.error;
  await walk.goto('/config/integrations/integration/bandwidth', TITLE);
  await walk.click(contact.initiate_flow.user);
  // Two entries: the frontend asks whose contact it is.
  const choices = walk.page.locator('ha-dialog[open] ha-list-item-button');
  await choices.filter({ hasText: OTHER_TITLE }).waitFor();
  await walk.step('contact-choose-entry');
  await choices.filter({ hasText: TITLE }).click();
  await walk.see(contact.step.user.title);
  await walk.field('number').waitFor();
  const names = (await walk.formFields()).map((field) => field.name);
  if (names.join() !== 'name,number,assist,pin') throw new Error(`contact-form: its fields are ${names.join(', ')}`);
  await walk.step('contact-form');

  // A number without its country code, a PIN too short: both are said.
  await walk.fill({ name: CONTACT.name, number: '555-0101', pin: '12' });
  await walk.click('Submit');
  await walk.see(errors.invalid_number);
  await walk.see(errors.invalid_pin);
  await walk.step('contact-invalid');
  // The PIN is never filled back in; what else was typed is.
  await walk.expectValue(walk.field('name'), CONTACT.name);
  await walk.expectValue(walk.field('pin'), '');
  await walk.fill({ number: CONTACT.number, pin: CONTACT.pin });
  await walk.click('Submit');
  await walk.button('Finish').waitFor();
  await walk.step('contact-created');
  await walk.click('Finish');

  // Listed under its entry, as a contact, with its device.
  const row = await contactRow(walk, CONTACT.name);
  await row.getByText(contact.entry_type, { exact: true }).first().waitFor();
  await row.scrollIntoViewIfNeeded();
  await walk.step('contact-listed');

  // Its device: an Assist satellite named after them, and the two selects
  // of a voice device, under the entry's service device.
  await row.getByText(CONTACT.name, { exact: true }).last().click();
  await walk.page.waitForURL(/\/config\/devices\/device\//);
  await walk.see('Connected via', false);
  await walk.see(TITLE);
  const satellite = walk.page.locator('ha-device-entities-card').filter({ hasText: 'Idle' }).first();
  await satellite.getByText(CONTACT.name, { exact: true }).first().waitFor();
  const { pipeline, vad_sensitivity: vad } = STRINGS.entity.select;
  const expected = [
    { label: pipeline.name, value: 'preferred', first: pipeline.state.preferred },
    { label: vad.name, value: 'default', options: [vad.state.default, vad.state.relaxed, vad.state.aggressive] },
  ];
  const shown = await walk.deviceSelects(expected.length);
  for (const [index, select] of expected.entries()) {
    const { label, value, options: choices } = shown[index];
    if (label !== select.label || value !== select.value
        || (select.first && choices[0] !== select.first)
        || (select.options && choices.join() !== select.options.join())) {
      throw new Error(`contact-device: a select shows ${JSON.stringify(shown[index])}; expected ${JSON.stringify(select)}`);
    }
  }
  await walk.step('contact-device');
  // How long a pause ends what they say: its choices, translated.
  await walk.page.locator('ha-device-entities-card ha-select').filter({ hasText: vad.name }).click();
  const relaxed = walk.page.getByRole('menuitem', { name: vad.state.relaxed, exact: true });
  await relaxed.waitFor();
  await walk.step('contact-device-vad-choices');
  await relaxed.click();
  await relaxed.waitFor({ state: 'hidden' });
  await walk.deviceSelects(expected.length, { [vad.name]: 'relaxed' });
  await walk.step('contact-device-vad-relaxed');

  // Edited: renamed, and the PIN removed.
  const reconfigure = contact.step.reconfigure;
  await (await contactRow(walk, CONTACT.name)).getByRole('button', { name: contact.initiate_flow.reconfigure }).click();
  await walk.see(reconfigure.title);
  await walk.expectValue(walk.field('number'), CONTACT.number);
  await walk.expectValue(walk.field('pin'), '');
  await walk.see(reconfigure.data.remove_pin);
  await walk.step('contact-reconfigure');
  await walk.fill({ name: RENAMED });
  walk.contactName = RENAMED;
  await walk.page.locator('ha-selector').filter({ hasText: reconfigure.data.remove_pin }).locator('ha-switch').click();
  await walk.click('Submit');
  // Home Assistant's own words since 2025.5 (before, the contact's abort text).
  await walk.see('Reconfiguration was successful', false);
  await walk.step('contact-reconfigured');
  await walk.click('Close');
  // Without a PIN, there is none to remove.
  await (await contactRow(walk, RENAMED)).getByRole('button', { name: contact.initiate_flow.reconfigure }).click();
  await walk.expectValue(walk.field('name'), RENAMED);
  if (await walk.text(reconfigure.data.remove_pin).count()) throw new Error('contact-reconfigure: Remove the PIN shown without a PIN');
  await walk.step('contact-reconfigure-no-pin');
  await walk.closeDialog();
}

// `python -m sandbox call`: a person calling the number, until they hang up.
async function callIn(walk, sandbox, name, args) {
  const child = start(name, [
    'python', '-m', 'sandbox', 'call', '--sandbox', `http://127.0.0.1:${sandbox.port}`,
    '--url', walk.inboundUrl, '--status-url', walk.inboundUrl, ...args,
  ]);
  const code = await Promise.race([
    child.exited,
    new Promise((resolve) => setTimeout(() => resolve('timeout'), 3 * TIMEOUT)),
  ]);
  if (code !== 0) throw new Error(`${name} ended with ${code}; see ${name}.log`);
}

// Two seconds of silence, as a WAV file: a caller's message.
function messageFile() {
  const samples = 8000 * 2;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(8000, 24);
  wav.writeUInt32LE(16000, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  const file = path.join(OUT, 'message.wav');
  fs.writeFileSync(file, wav);
  return file;
}

// A caller leaves a message, which plays from the media browser: the entry's
// calls go to voicemail (set as the options form would, every other option
// kept), the caller records, and the message is listed under Media >
// Voicemail with the caller and time, and plays through a signed URL.
async function voicemail(walk, sandbox) {
  console.log('Voicemail in the media browser');
  if (!walk.inboundUrl) await newAddress(walk);
  const [entry] = (await walk.entries()).filter((found) => found.title === TITLE);
  const token = walk.hassTokens.access_token;
  const flow = await api(walk.haUrl, 'POST', '/api/config/config_entries/options/flow', { handler: entry.entry_id }, token);
  const input = {};
  for (const field of flow.data_schema) {
    const value = field.description?.suggested_value ?? field.default;
    if (value !== undefined) input[field.name] = value;
  }
  input.inbound_calls = 'voicemail';
  const saved = await api(walk.haUrl, 'POST', `/api/config/config_entries/options/flow/${flow.flow_id}`, input, token);
  if (saved.type !== 'create_entry') throw new Error(`voicemail: options not saved: ${JSON.stringify(saved)}`);

  await callIn(walk, sandbox, 'call-voicemail', ['--from', '+17045550199', '--record', messageFile()]);
  await walk.goto('/media-browser/browser');
  // The source's card (a hidden tooltip says "Voicemail" too).
  await walk.page.getByText('Voicemail', { exact: true }).filter({ visible: true }).first().click();
  // Stored once Bandwidth's recording and transcript callbacks are in.
  const listed = walk.page.getByText(/^\+17045550199, \d{4}-\d\d-\d\d \d\d:\d\d$/).first();
  await listed.waitFor({ timeout: 3 * TIMEOUT });
  await walk.step('voicemail-listed');
  const played = walk.page.waitForResponse((response) => response.url().includes('/api/bandwidth/voicemail/'));
  await listed.click();
  const audio = await played;
  // The audio element asks for a range: 206 is the whole answer too.
  if (![200, 206].includes(audio.status())) throw new Error(`voicemail: the message's audio answered ${audio.status()}`);
  await walk.step('voicemail-playing');
}

// Calls to the number, as a person meets them afterwards: in the logbook,
// each told in plain words, named after the caller (the contact's name when
// the number is a contact's), and on the Call events entity.
async function calls(walk, sandbox) {
  console.log('Calls in the logbook and on the Call events entity');
  if (!walk.inboundUrl) await newAddress(walk);
  const ring = (name, args) => callIn(walk, sandbox, name, args);
  await ring('call-stranger', ['--from', '+17045550199', '--unverified']);
  const contact = walk.contactName;
  if (contact) await ring('call-contact', ['--from', CONTACT.number]);

  // The recorder writes every few seconds: the page may open before it has.
  const deadline = Date.now() + 4 * TIMEOUT;
  for (;;) {
    await walk.goto('/logbook');
    try {
      await walk.text('+1 704 555 0199').waitFor({ timeout: 5000 });
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
  }
  await walk.see('called (caller ID not verified)', false);
  await walk.see('called; nobody answered', false);
  if (contact) await walk.see(contact);
  await walk.step('logbook');

  // The entity's last event, with its attributes named in words.
  const [events] = Object.keys(await walk.page.evaluate(
    () => document.querySelector('home-assistant').hass.states,
  )).filter((entityId) => /^event\.bandwidth_.*_call_events$/.test(entityId));
  if (!events) throw new Error('no Call events entity');
  await walk.page.evaluate((entityId) => {
    document.querySelector('home-assistant').dispatchEvent(
      new CustomEvent('hass-more-info', { detail: { entityId }, bubbles: true, composed: true }),
    );
  }, events);
  // Its events, each in its translated name.
  const eventTypes = STRINGS.entity.event.call.state_attributes.event_type.state;
  const dialog = walk.page.locator('ha-more-info-dialog');
  await dialog.getByText(eventTypes.disconnected, { exact: true }).first().waitFor();
  await dialog.getByText(eventTypes.received, { exact: true }).first().waitFor();
  if (await dialog.getByText('Unknown').count()) throw new Error('call-events: shows "Unknown"');
  await walk.step('call-events');
  await walk.page.keyboard.press('Escape');
}

async function reconfigure(walk) {
  console.log('Reconfigure');
  await entryMenu(walk, TITLE, 'Reconfigure');
  await walk.see('Reconfigure Bandwidth Voice');
  await walk.step('reconfigure-menu');
  await walk.text('API credentials: client ID and secret').click();
  await walk.field('client_secret').waitFor();
  await walk.fill({ client_secret: CLIENT_SECRET });
  await walk.step('reconfigure-oauth-form');
  await walk.click('Submit');
  await walk.see('Reconfiguration was successful', false);
  await walk.step('reconfigure-oauth-done');
  await walk.click('Close');

  await entryMenu(walk, TITLE, 'Reconfigure');
  await walk.see('Reconfigure Bandwidth Voice');
  await walk.text('Legacy API user: username and password').click();
  await walk.field('username').waitFor();
  await walk.step('reconfigure-basic-form');
  await walk.closeDialog();
}

async function openIssue(walk, title, shot) {
  await walk.goto('/config/repairs', title);
  await walk.text(title).click();
  const reported = walk.text('Reported by Bandwidth Voice', false);
  await reported.waitFor();
  await walk.step(shot);
  await walk.page.getByRole('button', { name: 'Close', exact: true }).last().click();
  await reported.waitFor({ state: 'hidden' });
}

async function repairs(walk) {
  console.log('Repairs');
  const https = (title) => `${title} receives callbacks over plain http`;
  const legacy = `${OTHER_TITLE} signs in with a legacy Bandwidth API user`;
  await walk.goto('/config/repairs', https(TITLE));
  await walk.see(https(OTHER_TITLE));
  await walk.see(legacy);
  await walk.step('repairs', { docs: { name: 'repairs.png', height: 400 } });
  await openIssue(walk, https(TITLE), 'repair-http-url');
  await openIssue(walk, legacy, 'repair-legacy-api-user');

  // Without an external URL, Bandwidth cannot reach Home Assistant at all.
  const { external_url: externalUrl } = await walk.ws({ type: 'get_config' });
  await walk.ws({ type: 'config/core/update', external_url: null });
  await openIssue(walk, `Bandwidth cannot reach Home Assistant for the calls of ${TITLE}`, 'repair-no-external-url');
  await walk.ws({ type: 'config/core/update', external_url: externalUrl });
}

async function reauth(walk, sandbox) {
  console.log('Re-authentication');
  // The API credential is rotated in Bandwidth: the entry's secret no longer works.
  await stop(sandbox.child);
  sandbox.child = await startSandbox(sandbox.port, ROTATED_SECRET);
  const entry = (await walk.entries()).find((item) => item.title === TITLE);
  await api(walk.haUrl, 'POST', `/api/config/config_entries/entry/${entry.entry_id}/reload`, undefined, walk.hassTokens.access_token);
  // Home Assistant asks for new credentials: a card on the integrations page.
  await walk.goto('/config/integrations/dashboard', 'Discovered');
  const card = walk.page.locator('ha-config-flow-card').filter({ hasText: TITLE });
  await walk.step('reauth-card');
  await card.getByRole('button', { name: 'Reconfigure' }).click();
  await walk.see('Re-authenticate with Bandwidth');
  await walk.fill({ client_secret: ROTATED_SECRET });
  await walk.step('reauth-form');
  await walk.click('Submit');
  await walk.see('Re-authentication was successful', false);
  await walk.step('reauth-done');
  await walk.click('Close');
}

// The action form's row of one field, by the field's translated name;
// an optional field is ticked first, as a person would.
async function fieldRow(walk, name) {
  const heading = walk.page.locator('[slot="heading"]').getByText(name, { exact: true });
  const row = walk.page.locator('ha-settings-row').filter({ has: heading }).first();
  await row.scrollIntoViewIfNeeded();
  const checkbox = row.locator('ha-checkbox').first();
  if (await checkbox.count() && !(await checkbox.evaluate((box) => box.checked))) {
    await checkbox.click();
  }
  return row;
}

async function fillObject(walk, label, fields, values, shot, docs) {
  const row = await fieldRow(walk, label);
  await row.getByRole('button', { name: 'Add' }).click();
  // A dialog with a form of the object's fields.
  const dialog = walk.page.locator('dialog-form');
  const cancel = dialog.getByRole('button', { name: 'Cancel', exact: true });
  await cancel.waitFor();
  await walk.step(shot, { docs });
  // The form lists the fields in services.yaml's order (which tests/ check).
  for (const [name, value] of Object.entries(values)) {
    await dialog.locator('ha-selector').nth(fields.indexOf(name)).locator(TEXT_INPUT).first().fill(value);
  }
  await dialog.getByRole('button', { name: 'Add', exact: true }).click();
  await cancel.waitFor({ state: 'hidden' });
}

async function chooseEntry(walk) {
  const row = await fieldRow(walk, 'Bandwidth entry');
  await row.locator('ha-config-entry-picker').click();
  const search = walk.page.getByPlaceholder('Search', { exact: true });
  await search.waitFor();
  await walk.page.getByText(TITLE, { exact: true }).last().click();
  await search.waitFor({ state: 'hidden' });
}

// Performs the action; fails with the error Home Assistant shows, if any.
async function performAction(walk) {
  await walk.click('Perform action');
  const outcome = await walk.page.waitForFunction(() => {
    const find = (root) => {
      for (const element of root.querySelectorAll('*')) {
        if (element.localName === 'ha-progress-button' && element._result) return element._result;
        const inner = element.shadowRoot && find(element.shadowRoot);
        if (inner) return inner;
      }
      return null;
    };
    return find(document);
  });
  if (await outcome.jsonValue() !== 'success') {
    const shown = await walk.page.locator('ha-alert').last().innerText().catch(() => '');
    throw new Error(`the action failed: ${shown}`);
  }
}

async function actions(walk) {
  console.log('Actions');
  await walk.goto('/config/tools/action?service=bandwidth.create_call', 'Create call');
  await walk.see('Gather digits');
  await walk.step('action-create-call');
  // Home Assistant's voices: an entity picker and the language, in the form.
  const ttsRow = await fieldRow(walk, 'Text-to-speech entity');
  await ttsRow.locator('ha-entity-picker, ha-selector-entity').first().waitFor();
  await fieldRow(walk, 'Language');
  await walk.step('action-tts-fields');
  await fillObject(walk, 'Gather digits', GATHER_FIELDS, { prompt: 'Press 1 to acknowledge.', max_digits: '1' }, 'action-gather', { name: 'action-gather.png', dialog: true });
  await fillObject(walk, 'Machine detection', MACHINE_DETECTION_FIELDS, { detection_timeout: '15' }, 'action-machine-detection');
  await walk.step('action-objects-filled');
  // Two entries: the action needs to be told which.
  await chooseEntry(walk);
  await walk.step('action-entry-chosen');
  // A number that rings until the call is hung up below.
  const to = await fieldRow(walk, 'To');
  await to.getByRole('button', { name: 'Add' }).click();
  await to.locator(TEXT_INPUT).first().fill('+15555550002');
  await (await fieldRow(walk, 'From')).locator(TEXT_INPUT).first().fill('+15555550100');
  await (await fieldRow(walk, 'Message')).locator(TEXT_INPUT).first().fill('The alarm went off.');
  await performAction(walk);
  // Bandwidth's description of the call comes back as the response.
  await walk.see('call_id', false);
  const response = walk.page.locator('.cm-content').last();
  await response.scrollIntoViewIfNeeded();
  await walk.step('action-create-call-response');
  const text = await response.innerText();
  const callId = /call_id: (\S+)/.exec(text)?.[1];
  if (!callId) throw new Error(`no call_id in the response: ${text}`);

  // A step for the ringing call: it takes it when answered.
  await walk.goto('/config/tools/action?service=bandwidth.update_call', 'Update call');
  await walk.see('Gather digits');
  await chooseEntry(walk);
  const updateInput = (await fieldRow(walk, 'Call ID')).locator(TEXT_INPUT).first();
  await updateInput.fill(callId);
  await walk.expectValue(updateInput, callId);
  await (await fieldRow(walk, 'Message')).locator(TEXT_INPUT).first().fill('Please hold.');
  await walk.step('action-update-call');
  await performAction(walk);
  await walk.step('action-update-call-done');

  await walk.goto('/config/tools/action?service=bandwidth.hangup_call', 'Hang up call');
  await chooseEntry(walk);
  const callIdInput = (await fieldRow(walk, 'Call ID')).locator(TEXT_INPUT).first();
  await callIdInput.fill(callId);
  await walk.expectValue(callIdInput, callId);
  await walk.step('action-hangup-call');
  await performAction(walk);
  await walk.step('action-hangup-call-done');
}

// --- Main -------------------------------------------------------------------

async function main() {
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  const config = path.join(WORK, 'config');
  fs.rmSync(config, { recursive: true, force: true });
  fs.mkdirSync(config, { recursive: true });

  const [haPort, sandboxPort] = [await freePort(), await freePort()];
  const haUrl = `http://127.0.0.1:${haPort}`;
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  // Only what the integration's dialogs need, so Home Assistant starts in
  // seconds and installs nothing; the plain-http external URL makes the
  // first repair issue appear.
  fs.writeFileSync(path.join(config, 'configuration.yaml'), [
    'homeassistant:',
    '  country: US',
    `  external_url: ${haUrl}`,
    'frontend:',
    'logbook:',
    'media_source:',
    'logger:',
    '  default: warning',
    '  logs:',
    '    custom_components.bandwidth: debug',
    '',
  ].join('\n'));

  console.log(`Screenshots and logs: ${OUT}`);
  const sandbox = { port: sandboxPort, child: await startSandbox(sandboxPort, CLIENT_SECRET) };
  const ha = start('home-assistant', ['hass', '--config', config, '--skip-pip'], {
    SETUP_PORT: String(haPort),
    PYTHONPATH: [REPO, path.join(REPO, 'scripts', 'develop_sandbox')].join(':'),
  });
  await waitFor('Home Assistant', async () => (await fetch(`${haUrl}/api/onboarding`)).ok, ha, 180);
  const tokens = await onboard(haUrl);
  const hassTokens = {
    ...tokens,
    hassUrl: haUrl,
    clientId: `${haUrl}/`,
    expires: Date.now() + tokens.expires_in * 1000,
  };

  // A fresh profile every run, as Chromium must have here.
  const profile = fs.mkdtempSync(path.join(WORK, 'chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 860 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(TIMEOUT);
  // Signed in as the owner, as the frontend keeps it after a login.
  await context.addInitScript((value) => {
    localStorage.setItem('hassTokens', JSON.stringify(value));
  }, hassTokens);
  const page = context.pages()[0] ?? await context.newPage();
  const walk = new Walk(page, haUrl, tokens);
  // Where the setup forms point the entries.
  walk.sandboxUrl = sandboxUrl;
  try {
    const parts = {
      setup: () => setup(walk),
      entries: () => integrationPage(walk),
      options: () => options(walk),
      contacts: () => contacts(walk),
      calls: () => calls(walk, sandbox),
      reconfigure: () => reconfigure(walk),
      repairs: () => repairs(walk),
      reauth: () => reauth(walk, sandbox),
      actions: () => actions(walk),
      voicemail: () => voicemail(walk, sandbox),
    };
    // BROWSER_TEST_ONLY=setup,reauth walks part of it (setup always first).
    const only = process.env.BROWSER_TEST_ONLY?.split(',');
    for (const [part, run] of Object.entries(parts)) {
      if (!only || part === 'setup' || only.includes(part)) await run();
    }
  } catch (error) {
    const failure = path.join(OUT, 'failure.png');
    await page.screenshot({ path: failure }).catch(() => {});
    throw Object.assign(error, { screenshot: fs.existsSync(failure) ? failure : lastShot });
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  fs.writeFileSync(path.join(OUT, 'docs.json'), JSON.stringify(Object.fromEntries(docsShots), null, 2));
  console.log(`${shotCount} passed, 0 failed`);
}

// However Home Assistant or Chromium misbehave, the check ends.
const WATCHDOG_MINUTES = 10;
setTimeout(() => {
  console.error(`\nBrowser check failed: still running after ${WATCHDOG_MINUTES} minutes`);
  if (lastShot) console.error(`Last screenshot: ${lastShot}`);
  stopAll().finally(() => process.exit(1));
}, WATCHDOG_MINUTES * 60_000).unref();

let code = 0;
const interrupted = () => { stopAll().finally(() => process.exit(130)); };
process.on('SIGINT', interrupted);
process.on('SIGTERM', interrupted);
try {
  await main();
} catch (error) {
  code = 1;
  console.error(`\nBrowser check failed: ${error.message}`);
  if (error.screenshot) console.error(`Last screenshot: ${error.screenshot}`);
  console.error(`Logs: ${OUT}`);
} finally {
  await stopAll();
}
process.exit(code);
