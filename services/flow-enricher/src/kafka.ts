import { readFileSync } from 'node:fs';
import type { Kafka as KafkaClient, LogEntry } from 'kafkajs';
import { Kafka, logLevel } from './kafkajs.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';

/**
 * The kafkajs client from the configuration. TLS uses Node's trust store: a private
 * CA (Strimzi's cluster CA) is added with NODE_EXTRA_CA_CERTS pointing at its
 * mounted certificate. The SCRAM password is read from its file here, once.
 */
export function kafkaClient(config: Config['kafka'], log: Logger): KafkaClient {
  let sasl: { mechanism: 'scram-sha-512'; username: string; password: string } | undefined;
  if (config.sasl) {
    let password: string;
    try {
      password = readFileSync(config.sasl.passwordFile, 'utf8').trim();
    } catch (e) {
      throw new Error(`KAFKA_PASSWORD_FILE=${config.sasl.passwordFile} cannot be read: ${(e as Error).message}`);
    }
    sasl = { mechanism: 'scram-sha-512', username: config.sasl.username, password };
  }
  return new Kafka({
    clientId: config.clientId,
    brokers: [...config.brokers],
    ssl: config.tls,
    sasl,
    connectionTimeout: 10_000,
    requestTimeout: 30_000,
    // Retries inside kafkajs stay short: the enricher retries a failed batch itself, for as long as it takes.
    retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 5 },
    logLevel: log.enabled('debug') ? logLevel.INFO : logLevel.WARN,
    logCreator: () => ({ level, log: entry }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, ...fields } = entry;
      const text = `kafkajs: ${message}`;
      if (level === logLevel.ERROR) log.error(text, fields);
      // kafkajs warns that bounded retries weaken exactly-once; the enricher is at-least-once and resends failed batches itself.
      else if (level === logLevel.WARN && !message.startsWith('Limiting retries for the idempotent producer')) log.warn(text, fields);
      else log.debug(text, fields);
    },
  });
}
