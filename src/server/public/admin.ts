/** The admin table: `GET /admin/users`, role changes, disable and enable. */
import { call } from './api.js';
import type { PageControl } from './browser.js';
import { byId, el, onPress, say } from './dom.js';

/** One row of `GET /admin/users`. */
interface AdminUser {
  id: string;
  email: string;
  roles: string[];
  disabled: boolean;
}

/** Roles typed as "admin, editor" or "admin editor". */
function parseRoles(text: string): string[] {
  return text.split(/[\s,]+/).filter((r) => r.length > 0);
}

/** Loads and shows every user, with controls; `changed` runs after any change (the admin may have changed themself). */
export async function renderUsers(changed: () => Promise<void>): Promise<void> {
  const { users } = await call<{ users: AdminUser[] }>('GET', '/admin/users');
  const rows = users.map((user, index) => {
    const inputId = `roles-${index}`;
    const roles = el<PageControl>('input', { id: inputId, type: 'text', value: user.roles.join(', '), autocomplete: 'off', spellcheck: 'false' });
    const save = el<PageControl>('button', { type: 'button', 'aria-label': `Save the roles of ${user.email}` }, 'Save roles');
    const toggle = el<PageControl>('button', { type: 'button', 'aria-label': `${user.disabled ? 'Enable' : 'Disable'} ${user.email}` }, user.disabled ? 'Enable' : 'Disable');
    onPress(save, async () => {
      const { user: updated } = await call<{ user: AdminUser }>('PUT', `/admin/users/${encodeURIComponent(user.id)}/roles`, { roles: parseRoles(roles.value) });
      say(`Roles of ${updated.email}: ${updated.roles.join(', ') || 'none'}.`);
      await changed();
    });
    // Enter in the roles field saves, as in a form.
    roles.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') save.click();
    });
    onPress(toggle, async () => {
      await call('POST', `/admin/users/${encodeURIComponent(user.id)}/${user.disabled ? 'enable' : 'disable'}`);
      say(`${user.email} is ${user.disabled ? 'enabled' : 'disabled'}.`);
      await changed();
    });
    return el(
      'tr',
      { 'data-email': user.email },
      el('td', {}, user.email),
      el('td', {}, el('label', { for: inputId, class: 'visually-hidden' }, `Roles of ${user.email}`), roles),
      el('td', {}, user.disabled ? 'disabled' : 'active'),
      el('td', {}, el('div', { class: 'actions' }, save, toggle)),
    );
  });
  byId('users-body').replaceChildren(...rows);
}
