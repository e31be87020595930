import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { mailDomainOf, messageIdOf } from './mailSender.js';

describe('customer email settings and Message-IDs', () => {
  it('takes the Message-ID domain from the MAIL_FROM address, with or without a display name', () => {
    expect(mailDomainOf('Shop <orders@shop.example>')).toBe('shop.example');
    expect(mailDomainOf('orders@shop.example')).toBe('shop.example');
  });

  it('makes a Message-ID from the event id that is the same on every attempt and valid as an address part', () => {
    const id = messageIdOf('Order-0b9c6f1e-1d2a-4c3b-9e8f-7a6b5c4d3e2f:4', 'shop.example');
    expect(id).toBe('<Order-0b9c6f1e-1d2a-4c3b-9e8f-7a6b5c4d3e2f.4@shop.example>');
    expect(messageIdOf('Order-0b9c6f1e-1d2a-4c3b-9e8f-7a6b5c4d3e2f:4', 'shop.example')).toBe(id);
  });

  it('requires MAIL_FROM with SMTP_URL, and nats:// and smtp:// URLs', () => {
    expect(() => loadConfig({ SMTP_URL: 'smtp://mail:587' })).toThrow(/MAIL_FROM: is required when SMTP_URL is set/);
    expect(() => loadConfig({ SMTP_URL: 'http://mail:587', MAIL_FROM: 'a@b.c' })).toThrow(/SMTP_URL: must start with smtp/);
    expect(() => loadConfig({ EVENT_BUS_URL: 'redis://bus:4222' })).toThrow(/EVENT_BUS_URL: must start with nats/);
    expect(() => loadConfig({ EVENT_BUS_STREAM: 'ORDER.SOURCE' })).toThrow(/EVENT_BUS_STREAM/);
    expect(loadConfig({ EVENT_BUS_URL: 'nats://bus:4222' }).eventBus).toEqual({ url: 'nats://bus:4222', stream: 'ORDERSOURCE' });
    expect(loadConfig({}).mail).toEqual({ smtpUrl: undefined, from: undefined });
    expect(() => loadConfig({ SMTP_URL: 'smtp://mail:587', MAIL_FROM: 'Shop' })).toThrow(/MAIL_FROM: must be an address/);
    expect(loadConfig({ SMTP_URL: 'smtp://mail:587', MAIL_FROM: 'Shop <orders@shop.example>' }).mail.from).toBe(
      'Shop <orders@shop.example>',
    );
    expect(loadConfig({ SMTP_URL: 'smtp://mail:587', MAIL_FROM: 'orders@shop.example' }).mail.from).toBe('orders@shop.example');
  });
});
