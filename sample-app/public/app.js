// The sample's login page: a few fetch calls against the sample app. Tokens live in HttpOnly
// cookies this script cannot read; it only reads the csrf_token cookie and echoes it in the
// X-CSRF-Token header of POST requests (double-submit CSRF protection).
'use strict';

const $ = (id) => document.getElementById(id);

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrf_token=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : '';
}

/** fetch + JSON, and a status line showing what happened (and whether tokens were refreshed). */
async function call(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken();
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  const refreshed = res.headers.has('ACCESSTOKEN') && path !== '/auth/login' ? ' (tokens refreshed)' : '';
  $('status').textContent = `${method} ${path} → ${res.status}${data && data.code ? ` ${data.code}` : ''}${refreshed}`;
  return { status: res.status, data };
}

function showUser(user, groups) {
  $('user-name').textContent = [user.first_name, user.last_name].filter(Boolean).join(' ') || user.email || user.sub;
  $('user-id').textContent = user.id;
  $('user-email').textContent = user.email ?? '';
  $('user-first-name').textContent = user.first_name ?? '';
  $('user-last-name').textContent = user.last_name ?? '';
  $('user-sub').textContent = user.sub;
  if (groups) $('user-groups').textContent = groups.join(', ') || '(none)';
  $('signed-out').hidden = true;
  $('signed-in').hidden = false;
}

function showSignedOut(message) {
  $('signed-in').hidden = true;
  $('signed-out').hidden = false;
  $('notes').replaceChildren();
  $('login-error').textContent = message ?? '';
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
  if (status !== 200) return showSignedOut(status === 401 ? '' : data?.message);
  showUser(data);
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('login-error').textContent = '';
  const { status, data } = await call('POST', '/auth/login', { username: $('username').value, password: $('password').value });
  if (status !== 200) return showSignedOut(data?.message ?? `Sign-in failed (${status})`);
  $('password').value = '';
  showUser(data.user, data.groups);
  await loadNotes();
});

$('note-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const { status, data } = await call('POST', '/notes', { text: $('note-text').value });
  if (status === 401) return showSignedOut(data?.message);
  if (status !== 201) return;
  $('note-text').value = '';
  addNoteItem(data, true);
});

$('reload-me').addEventListener('click', loadMe);
$('try-admin').addEventListener('click', async () => {
  const { status, data } = await call('GET', '/admin');
  if (status === 200) $('status').textContent += ` ${data.message}`;
});
$('sign-out').addEventListener('click', async () => {
  await call('POST', '/auth/logout');
  showSignedOut('Signed out.');
});

loadMe().then(() => ($('signed-in').hidden ? undefined : loadNotes()));
