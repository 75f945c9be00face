// The sample's page: a few fetch calls against the library's flows controller (/auth/...) and the
// app's own routes. Tokens live in HttpOnly cookies this script cannot read; it only reads the
// csrf_token cookie and echoes it in the X-CSRF-Token header of POST requests (double-submit CSRF
// protection). Codes and passwords go to the server and nowhere else.
'use strict';

const $ = (id) => document.getElementById(id);
const VIEWS = ['signed-out', 'challenge', 'signup', 'confirm', 'forgot', 'reset', 'signed-in'];

/** The challenge being answered: Cognito's name and the opaque session to send back. */
let pending = null;
/** The groups of the last sign-in (the user row has none). */
let groups = null;

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrf_token=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : '';
}

/** fetch + JSON, and a status line showing what happened. */
async function call(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken();
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = res.status === 204 || res.status === 202 ? null : await res.json().catch(() => null);
  $('status').textContent = `${method} ${path} → ${res.status}${data && data.code ? ` ${data.code}` : ''}`;
  return { status: res.status, data };
}

/** Shows one view, clears the errors, and sets (or clears) the info line. */
function show(view, info) {
  for (const id of VIEWS) $(id).hidden = id !== view;
  for (const el of document.querySelectorAll('.error')) el.textContent = '';
  $('info').textContent = info ?? '';
}

/** How many handlers are still at work: while any is, the page is `aria-busy` (screen readers and tests wait for it). */
let working = 0;

/** Wraps an async handler so the page is `aria-busy` until it has finished, not only until its fetch has answered. */
function busy(handler) {
  return async (event) => {
    working += 1;
    document.body.setAttribute('aria-busy', 'true');
    try {
      await handler(event);
    } finally {
      working -= 1;
      if (working === 0) document.body.removeAttribute('aria-busy');
    }
  };
}

/** Listens for `type` on the element `id` with an async handler (see `busy`). */
const on = (id, type, handler) => $(id).addEventListener(type, busy(handler));

const failure = (data, status) => data?.message ?? `Something went wrong (${status})`;

function showUser(user) {
  $('user-name').textContent = [user.first_name, user.last_name].filter(Boolean).join(' ') || user.email || user.sub;
  $('user-id').textContent = user.id;
  $('user-email').textContent = user.email ?? '';
  $('user-first-name').textContent = user.first_name ?? '';
  $('user-last-name').textContent = user.last_name ?? '';
  $('user-sub').textContent = user.sub;
  $('user-groups').textContent = groups ? groups.join(', ') || '(none)' : '';
  if (!$('signed-in').hidden) return;
  show('signed-in');
}

function showSignedOut(info, error) {
  pending = null;
  groups = null;
  $('notes').replaceChildren();
  show('signed-out', info);
  $('login-error').textContent = error ?? '';
}

function addNoteItem(note, atTop) {
  const li = document.createElement('li');
  li.textContent = note.text;
  li.dataset.id = note.id;
  if (atTop) $('notes').prepend(li);
  else $('notes').append(li);
}

async function loadNotes() {
  const { status, data } = await call('GET', '/notes');
  if (status !== 200) return;
  $('notes').replaceChildren();
  for (const note of data) addNoteItem(note, false);
}

async function loadMe() {
  const { status, data } = await call('GET', '/me');
  if (status !== 200) return showSignedOut('', status === 401 ? '' : failure(data, status));
  showUser(data);
}

// --- Sign-in and its challenges ---------------------------------------------------------------

const CHALLENGES = {
  SOFTWARE_TOKEN_MFA: { answer: 'SOFTWARE_TOKEN_MFA_CODE', label: () => 'Enter the code from your authenticator app.' },
  SMS_MFA: { answer: 'SMS_MFA_CODE', label: (p) => `Enter the code we sent by SMS to ${p.CODE_DELIVERY_DESTINATION ?? 'your phone'}.` },
  EMAIL_OTP: { answer: 'EMAIL_OTP_CODE', label: (p) => `Enter the code we sent to ${p.CODE_DELIVERY_DESTINATION ?? 'your e-mail'}.` },
  NEW_PASSWORD_REQUIRED: {
    answer: 'NEW_PASSWORD',
    label: () => 'Your password was set by an administrator: choose your own.',
    password: true,
  },
  SELECT_MFA_TYPE: { answer: 'ANSWER', label: () => 'Choose how to receive your sign-in code.', choose: true },
  MFA_SETUP: { answer: 'SOFTWARE_TOKEN_MFA_CODE', label: () => 'Add this key to your authenticator app, then enter the code it shows:' },
};

function choices(parameters) {
  try {
    return JSON.parse(parameters.MFAS_CAN_CHOOSE ?? '[]');
  } catch {
    return [];
  }
}

function showChallenge(result) {
  const spec = CHALLENGES[result.challenge];
  if (!spec) return showSignedOut('', `This sample cannot answer ${result.challenge}`);
  pending = result;
  show('challenge');
  $('challenge-label').textContent = spec.label(result.parameters ?? {});
  $('challenge-secret').hidden = result.challenge !== 'MFA_SETUP';
  $('challenge-secret').textContent = result.parameters?.SECRET_CODE ?? '';
  $('challenge-choice-label').hidden = !spec.choose;
  $('challenge-answer-label').hidden = Boolean(spec.choose);
  $('challenge-answer').required = !spec.choose;
  $('challenge-answer').type = spec.password ? 'password' : 'text';
  $('challenge-answer').autocomplete = spec.password ? 'new-password' : 'one-time-code';
  $('challenge-answer').value = '';
  $('challenge-choice').replaceChildren(...choices(result.parameters ?? {}).map((name) => new Option(name, name)));
  (spec.choose ? $('challenge-choice') : $('challenge-answer')).focus();
}

/** A sign-in's answer: the next challenge, or the signed-in user (then their row and notes). */
async function signedInOrChallenge(status, data, onError) {
  if (status !== 200) return onError(failure(data, status));
  if (data.status === 'challenge') return showChallenge(data);
  pending = null;
  groups = data.user.groups;
  $('password').value = '';
  await loadMe();
  await loadNotes();
}

on('login-form', 'submit', async (event) => {
  event.preventDefault();
  $('login-error').textContent = '';
  const { status, data } = await call('POST', '/auth/login', { username: $('username').value, password: $('password').value });
  await signedInOrChallenge(status, data, (message) => ($('login-error').textContent = message));
});

on('challenge-form', 'submit', async (event) => {
  event.preventDefault();
  if (!pending) return showSignedOut();
  const spec = CHALLENGES[pending.challenge];
  const value = spec.choose ? $('challenge-choice').value : $('challenge-answer').value;
  const body = { session: pending.session, challenge: pending.challenge, answers: { [spec.answer]: value } };
  const { status, data } = await call('POST', '/auth/challenge', body);
  $('challenge-answer').value = '';
  if (status === 400 && data?.code === 'invalid_state') return showSignedOut('', 'That took too long: sign in again.');
  await signedInOrChallenge(status, data, (message) => ($('challenge-error').textContent = message));
});

// --- Sign-up, confirmation, forgotten password -------------------------------------------------

on('signup-form', 'submit', async (event) => {
  event.preventDefault();
  const username = $('signup-username').value;
  const attributes = { email: $('signup-email').value };
  if ($('signup-first-name').value) attributes['custom:first_name'] = $('signup-first-name').value;
  if ($('signup-last-name').value) attributes['custom:last_name'] = $('signup-last-name').value;
  const { status, data } = await call('POST', '/auth/signup', { username, password: $('signup-password').value, attributes });
  if (status !== 201) return ($('signup-error').textContent = failure(data, status));
  $('signup-password').value = '';
  $('username').value = username;
  if (data.status === 'confirmed') return showSignedOut('Your account is ready: sign in.');
  $('confirm-username').value = username;
  $('confirm-code').value = '';
  show('confirm', `We sent a code to ${data.delivery?.destination ?? 'you'}.`);
});

on('confirm-form', 'submit', async (event) => {
  event.preventDefault();
  const { status, data } = await call('POST', '/auth/confirm', { username: $('confirm-username').value, code: $('confirm-code').value });
  $('confirm-code').value = '';
  if (status !== 204) return ($('confirm-error').textContent = failure(data, status));
  $('username').value = $('confirm-username').value;
  showSignedOut('Your account is confirmed: sign in.');
});

on('resend-code', 'click', async () => {
  const { status, data } = await call('POST', '/auth/resend', { username: $('confirm-username').value });
  if (status !== 204) return ($('confirm-error').textContent = failure(data, status));
  $('info').textContent = 'We sent a new code.';
});

on('forgot-form', 'submit', async (event) => {
  event.preventDefault();
  const username = $('forgot-username').value;
  const { status, data } = await call('POST', '/auth/forgot', { username });
  if (status !== 202) return ($('forgot-error').textContent = failure(data, status));
  $('reset-username').value = username;
  show('reset', 'If the account exists, we sent it a code.');
});

on('reset-form', 'submit', async (event) => {
  event.preventDefault();
  const body = { username: $('reset-username').value, code: $('reset-code').value, password: $('reset-password').value };
  const { status, data } = await call('POST', '/auth/reset', body);
  $('reset-code').value = '';
  $('reset-password').value = '';
  if (status !== 204) return ($('reset-error').textContent = failure(data, status));
  $('username').value = body.username;
  showSignedOut('Your password is changed: sign in.');
});

$('show-signup').addEventListener('click', () => show('signup'));
$('show-forgot').addEventListener('click', () => {
  $('forgot-username').value = $('username').value;
  show('forgot');
});
for (const back of document.querySelectorAll('.back')) back.addEventListener('click', () => showSignedOut());

// --- Signed in --------------------------------------------------------------------------------

on('note-form', 'submit', async (event) => {
  event.preventDefault();
  const { status, data } = await call('POST', '/notes', { text: $('note-text').value });
  if (status === 401) return showSignedOut('', failure(data, status));
  if (status !== 201) return;
  $('note-text').value = '';
  addNoteItem(data, true);
});

on('reload-me', 'click', loadMe);
on('try-admin', 'click', async () => {
  const { status, data } = await call('GET', '/admin');
  if (status === 200) $('status').textContent += ` ${data.message}`;
});
on('sign-out', 'click', async () => {
  await call('POST', '/auth/logout');
  showSignedOut('Signed out.');
});

busy(() => loadMe().then(() => ($('signed-in').hidden ? undefined : loadNotes())))();
