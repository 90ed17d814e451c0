import type { Money, PaymentStatus, ReplayEffect, SagaStatus } from '../../schemas/index.ts';
import { formatMoney } from '../lib/money.ts';

/** What a replay's effects depend on: the order, its payment, its stock reservation and what the customer was told. */
export interface ReplayState {
  order: { status: SagaStatus; total: Money; hasPhone: boolean } | null;
  payment: { status: PaymentStatus; amount: Money } | null;
  reservation: 'RESERVED' | 'REJECTED' | 'RELEASED' | null;
  /** `<template>/<channel>` of every message already sent or refused for good. */
  told: ReadonlySet<string>;
}

const effect = (kind: ReplayEffect['kind'], detail: string): ReplayEffect => ({ kind, detail });

/** Telling the customer about an outcome, on each channel not yet used for it. */
function tell(state: ReplayState, template: 'order_confirmed' | 'order_cancelled'): ReplayEffect[] {
  return [
    ...(state.told.has(`${template}/email`) ? [] : [effect('email', `${template} email`)]),
    ...(state.order?.hasPhone && !state.told.has(`${template}/sms`) ? [effect('sms', `${template} text message`)] : []),
  ];
}

/** The money a cancellation gives back, as things stand. */
function moneyBack(state: ReplayState): ReplayEffect[] {
  const p = state.payment;
  if (p?.status === 'AUTHORIZED' || p?.status === 'AUTHORIZING') return [effect('void', `void ${formatMoney(p.amount)}`)];
  if (p?.status === 'CAPTURED') return [effect('refund', `refund ${formatMoney(p.amount)}`)];
  return [];
}

/**
 * What replaying a dead letter would do again, given the order as it stands now: every step recognises what it
 * already did, so only what has not happened yet happens (and what follows from it: the customer is told).
 */
export function replayEffects(letter: { function: string; eventType: string | null }, state: ReplayState): ReplayEffect[] {
  const { order, payment } = state;
  const pending = order?.status === 'PENDING';
  switch (letter.function) {
    case 'payment-authorize':
      return pending && (!payment || payment.status === 'AUTHORIZING') ? [effect('authorize', `authorize ${formatMoney(order.total)}`)] : [];
    case 'inventory-reserve':
      return pending && state.reservation === null ? [effect('reserve', 'reserve the order’s stock')] : [];
    case 'payment-capture':
      return pending && payment?.status === 'AUTHORIZED' ? [effect('capture', `capture ${formatMoney(payment.amount)}`)] : [];
    case 'order-confirm':
      return pending ? [effect('confirm', 'confirm the order'), ...tell(state, 'order_confirmed')] : [];
    case 'order-cancel':
      return pending
        ? [effect('cancel', 'cancel the order'), ...moneyBack(state), ...(state.reservation === 'RESERVED' ? [effect('release', 'put the stock back')] : []), ...tell(state, 'order_cancelled')]
        : [];
    case 'payment-release':
      return order?.status === 'CANCELLED' ? moneyBack(state) : [];
    case 'inventory-release':
      return order?.status === 'CANCELLED' && state.reservation === 'RESERVED' ? [effect('release', 'put the stock back')] : [];
    case 'notification-send':
      if (letter.eventType === 'order.confirmed' && order?.status === 'CONFIRMED') return tell(state, 'order_confirmed');
      if (letter.eventType === 'order.cancelled' && order?.status === 'CANCELLED') return tell(state, 'order_cancelled');
      return [];
    case 'saga-audit':
      return [effect('record', 'write the event into the order’s timeline')];
    default:
      return [];
  }
}
