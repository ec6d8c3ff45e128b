// When exports are signed and compressed: CloudWatch's OTLP endpoint by its host, PERKAMO_OTEL_SIGV4
// for any other, the region the host names over AWS_REGION; and the precedence of the endpoints.
import { describe, expect, it } from 'vitest';
import { readConfig, xrayEndpointRegion, type Env } from '../../layers/otel/config.ts';

const read = (env: Env) => {
  const warnings: string[] = [];
  const config = readConfig(env, (m) => warnings.push(m));
  return { otlp: config.otlp, warnings };
};

describe('the X-Ray OTLP endpoint, by its host', () => {
  it.each([
    ['https://xray.eu-central-1.amazonaws.com/v1/traces', 'eu-central-1'],
    ['https://xray-fips.us-gov-west-1.amazonaws.com/v1/traces', 'us-gov-west-1'],
    ['https://xray.cn-north-1.amazonaws.com.cn/v1/traces', 'cn-north-1'],
    ['https://vpce-0a1b2c3d4e5f-abcd1234.xray.ap-southeast-2.vpce.amazonaws.com/v1/traces', 'ap-southeast-2'],
  ])('%s → region %s', (url, region) => {
    expect(xrayEndpointRegion(url)).toBe(region);
  });

  it.each([
    'http://xray.eu-central-1.amazonaws.com/v1/traces', // never unencrypted
    'https://xray.eu-central-1.amazonaws.com.evil.example/v1/traces',
    'https://logs.eu-central-1.amazonaws.com/v1/logs',
    'https://api.honeycomb.io/v1/traces',
    'not a url',
  ])('%s is not it', (url) => {
    expect(xrayEndpointRegion(url)).toBeUndefined();
  });
});

describe('signing and compression', () => {
  it('the X-Ray host: signed for service xray in the region the host names (not AWS_REGION), gzip', () => {
    const { otlp, warnings } = read({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://xray.us-west-2.amazonaws.com/v1/traces', AWS_REGION: 'eu-central-1' });
    expect(otlp.sigv4).toEqual({ service: 'xray', region: 'us-west-2' });
    expect(otlp.gzip).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('an explicit OTEL_EXPORTER_OTLP_COMPRESSION=none is honoured there too', () => {
    const { otlp } = read({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://xray.us-west-2.amazonaws.com/v1/traces', OTEL_EXPORTER_OTLP_COMPRESSION: 'none' });
    expect(otlp.gzip).toBe(false);
    expect(otlp.sigv4?.service).toBe('xray');
  });

  it('any other endpoint: unsigned and uncompressed by default', () => {
    const { otlp } = read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://api.honeycomb.io', AWS_REGION: 'eu-central-1' });
    expect(otlp.url).toBe('https://api.honeycomb.io/v1/traces');
    expect(otlp.sigv4).toBeUndefined();
    expect(otlp.gzip).toBe(false);
  });

  it('PERKAMO_OTEL_SIGV4=xray signs for any endpoint (a VPC endpoint, a proxy), in AWS_REGION', () => {
    const { otlp } = read({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces', PERKAMO_OTEL_SIGV4: 'xray', AWS_REGION: 'eu-central-1' });
    expect(otlp.sigv4).toEqual({ service: 'xray', region: 'eu-central-1' });
    expect(otlp.gzip).toBe(true);
  });

  it('PERKAMO_OTEL_SIGV4=off turns signing off, even for the X-Ray host', () => {
    const { otlp } = read({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://xray.us-west-2.amazonaws.com/v1/traces', PERKAMO_OTEL_SIGV4: 'off' });
    expect(otlp.sigv4).toBeUndefined();
    expect(otlp.gzip).toBe(false);
  });

  it('a bad PERKAMO_OTEL_SIGV4, or no region to sign for: one warning naming the variable, unsigned', () => {
    for (const value of ['true', 'x ray']) {
      const { otlp, warnings } = read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', PERKAMO_OTEL_SIGV4: value, AWS_REGION: 'eu-central-1' });
      expect(otlp.sigv4).toBeUndefined();
      expect(warnings).toEqual([expect.stringContaining(`PERKAMO_OTEL_SIGV4="${value}"`)]);
    }
    const { otlp, warnings } = read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', PERKAMO_OTEL_SIGV4: 'xray' });
    expect(otlp.sigv4).toBeUndefined();
    expect(warnings).toEqual([expect.stringContaining('set AWS_REGION')]);
  });

  it('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT takes precedence over OTEL_EXPORTER_OTLP_ENDPOINT, used as given', () => {
    const { otlp } = read({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example.com',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://xray.eu-west-1.amazonaws.com/v1/traces',
    });
    expect(otlp.url).toBe('https://xray.eu-west-1.amazonaws.com/v1/traces');
    expect(otlp.sigv4).toEqual({ service: 'xray', region: 'eu-west-1' });
  });
});
