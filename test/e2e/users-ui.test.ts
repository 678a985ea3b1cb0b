/**
 * Users in a real browser: an admin reaches the Users page from the navigation, is told
 * in an alert why a username is refused, creates a user with the keyboard alone; that user
 * logs in and is offered neither Users nor New project.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { TestQueen } from '../helpers/queen.ts';
import { step } from './browser.ts';
import { openUiStage, type UiStage } from './ui-stage.ts';

const PASSWORD = 'e2e-users-admin-pw';
let stage: UiStage;
let queen: TestQueen;
let page: Page;

before(async () => {
  ({ queen, page } = stage = await openUiStage({ password: PASSWORD, signedIn: false }));
});

after(() => stage?.close());

async function logIn(username: string, password: string) {
  await page.goto(`${queen.url}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${queen.url}/`);
}

describe('users in the browser', { concurrency: false }, () => {
  it('lets an admin create a user from the keyboard, explaining a refused name', () => step(page, 'users-create', async () => {
    await logIn('admin', PASSWORD);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await page.waitForURL(`${queen.url}/users`);

    // The pattern attribute would stop the browser from sending this; the server's answer is what is tested.
    await page.locator('#new-username').evaluate((el) => el.removeAttribute('pattern'));
    await page.getByLabel('Username').fill('Nina Smith');
    await page.getByLabel('Initial password').fill('nina-password-1');
    await page.getByLabel('Initial password').press('Enter');
    const alert = page.getByRole('alert');
    await alert.filter({ hasText: 'Cannot create the user: The username may contain lowercase letters' }).waitFor();
    assert.equal(await page.getByLabel('Username').inputValue(), 'Nina Smith', 'the username is kept');
    assert.equal(await page.getByLabel('Initial password').inputValue(), '', 'the password is not echoed');

    await page.getByLabel('Username').fill('nina');
    await page.getByLabel('Initial password').fill('nina-password-1');
    await page.getByLabel('Initial password').press('Enter');
    await page.waitForURL(/\/users\/[0-9a-f-]{36}\?done=created$/);
    await page.getByRole('status').filter({ hasText: 'User created.' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Make admin' }).count(), 1);
    await page.getByRole('button', { name: 'Log out' }).click();
  }));

  it('shows a non-admin neither Users nor New project', () => step(page, 'users-non-admin', async () => {
    await logIn('nina', 'nina-password-1');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Dashboard' }).waitFor();
    assert.equal(await nav.getByRole('link', { name: 'Users' }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'New project' }).count(), 0);
    await page.goto(`${queen.url}/users`);
    await page.getByRole('alert').filter({ hasText: 'Only admins can manage users.' }).waitFor();
  }));
});
