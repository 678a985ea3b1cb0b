/**
 * The plugin list of a project's settings: cards in build order, each with an enable
 * switch and the plugin's generated config form. Cards move up and down, are removed, and
 * are added from `<template data-plugin-template="name">` (rendered by the server from the
 * plugin's JSON Schema). Nothing is saved until the form is submitted; the body is
 * `{ plugins: [{ name, enabled, config }] }` in card order.
 */
import { fieldsBody, type Json } from './form-values.ts';
import { copyTemplate } from './template-copies.ts';

function announce(list: HTMLElement, text: string): void {
  const status = list.closest('form')?.querySelector<HTMLElement>('[data-form-status]');
  if (status) status.textContent = text;
}

function cardName(card: HTMLElement): string {
  return card.dataset.plugin ?? '?';
}

function renumber(list: HTMLElement): void {
  const cards = [...list.querySelectorAll<HTMLElement>(':scope > .plugin-card')];
  cards.forEach((card, i) => {
    const position = card.querySelector('[data-plugin-position]');
    if (position) position.textContent = String(i + 1);
    card.querySelector<HTMLButtonElement>('[data-plugin-move="up"]')!.disabled = i === 0;
    card.querySelector<HTMLButtonElement>('[data-plugin-move="down"]')!.disabled = i === cards.length - 1;
  });
  list.closest('form')?.querySelector('[data-plugins-empty]')?.toggleAttribute('hidden', cards.length > 0);
}

export function pluginListBody(form: HTMLFormElement): Json {
  const cards = form.querySelectorAll<HTMLElement>('[data-plugin-list] > .plugin-card');
  return {
    plugins: [...cards].map((card) => ({
      name: cardName(card),
      enabled: card.querySelector<HTMLInputElement>('[data-plugin-enabled]')!.checked,
      config: fieldsBody(card),
    })),
  };
}

export function setUpPluginList(form: HTMLFormElement): void {
  const list = form.querySelector<HTMLElement>('[data-plugin-list]')!;
  list.addEventListener('click', (e) => {
    const button = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-plugin-move], button[data-plugin-remove]');
    const card = button?.closest<HTMLElement>('.plugin-card');
    if (!button || !card) return;
    if (button.dataset.pluginRemove !== undefined) {
      const next = (card.nextElementSibling ?? card.previousElementSibling) as HTMLElement | null;
      card.remove();
      renumber(list);
      announce(list, `${cardName(card)} removed (not saved yet).`);
      (next?.querySelector<HTMLElement>('button[data-plugin-remove]') ?? form.querySelector<HTMLElement>('[data-plugin-add]'))?.focus();
      return;
    }
    const up = button.dataset.pluginMove === 'up';
    const sibling = (up ? card.previousElementSibling : card.nextElementSibling) as HTMLElement | null;
    if (!sibling) return;
    if (up) sibling.before(card);
    else sibling.after(card);
    renumber(list);
    // Keep the focus on the button that moved, or on its twin when it became disabled.
    const again = card.querySelector<HTMLButtonElement>(`[data-plugin-move="${button.dataset.pluginMove}"]`)!;
    (again.disabled ? card.querySelector<HTMLButtonElement>(`[data-plugin-move="${up ? 'down' : 'up'}"]`)! : again).focus();
    announce(list, `${cardName(card)} moved ${up ? 'up' : 'down'} (not saved yet).`);
  });

  const picker = form.querySelector<HTMLSelectElement>('[data-plugin-picker]');
  form.querySelector('[data-plugin-add]')?.addEventListener('click', () => {
    const name = picker?.value;
    const template = name ? form.querySelector<HTMLTemplateElement>(`template[data-plugin-template="${CSS.escape(name)}"]`) : null;
    if (!template) return;
    // Ids are unique per copy: the same plugin may be added twice.
    const fragment = copyTemplate(template, '__N__');
    list.append(fragment);
    const card = list.lastElementChild as HTMLElement;
    renumber(list);
    announce(list, `${name} added at the end (not saved yet).`);
    card.querySelector<HTMLElement>('input, select, textarea')?.focus();
  });
  renumber(list);
}
