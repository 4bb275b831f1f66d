// Sends one e-mail with an HTML and a plain-text part through SES v2.
import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { Mailer } from '../domain/ports.ts';

export function createSesMailer(client: Pick<SESv2Client, 'send'>): Mailer {
  return {
    async send(message) {
      const out = await client.send(
        new SendEmailCommand({
          FromEmailAddress: message.from,
          Destination: { ToAddresses: [...message.to] },
          Content: {
            Simple: {
              Subject: { Data: message.subject, Charset: 'UTF-8' },
              Body: {
                Html: { Data: message.html, Charset: 'UTF-8' },
                Text: { Data: message.text, Charset: 'UTF-8' },
              },
            },
          },
        }),
      );
      return { messageId: out.MessageId ?? '' };
    },
  };
}
