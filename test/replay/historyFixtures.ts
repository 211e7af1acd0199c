// Trade histories as venues save them, for the tests of `replay --entries`.

/** Text as the MT5 terminal saves its reports: UTF-16LE with a byte-order mark. */
export const utf16 = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);

export interface Pos {
  time: string;
  id: string;
  symbol: string;
  type: string;
  volume: string;
  price: string;
  sl: string;
  tp: string;
}

/** A row of the Positions table as the terminal writes it: the hidden padding cell after Type, Profit over two columns. */
const positionTr = (p: Pos, n: number) =>
  `<tr bgcolor="${n % 2 ? '#F7F7F7' : '#FFFFFF'}" align="right"><td>${p.time}</td><td>${p.id}</td><td>${p.symbol}</td><td>${p.type}</td><td class="hidden" colspan="8"></td>` +
  `<td class="">${p.volume}</td><td class="">${p.price}</td><td class="">${p.sl}</td><td class="">${p.tp}</td><td class="">2024.01.04 18:00:00</td><td class="">${p.price}</td>` +
  `<td class="">0.00</td><td class="">0.00</td><td colspan="2">1 219.18</td></tr>`;

/** An MT5 "Trade History Report" as Report > HTML writes it (shortened: a few rows per section). */
export function mt5ReportHtml(positions: readonly Pos[]): string {
  return `<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">
<html>
  <head>
    <title>12345678: Demo Trader - Trade History Report</title>
    <meta name="generator" content="client terminal">
    <meta http-equiv="Content-Type" content="text/html; charset=utf-16">
    <style type="text/css" media="screen">
    <!--
    td { font: 8pt Tahoma,Arial; }
    th { font: 10pt Tahoma,Arial; }
    .hidden { display: none; }
    //-->
    </style>
  </head>
<body topmargin="1" marginheight="1">
<div align="center">
<table cellspacing="1" cellpadding="3" border="0">
<tr align="center"><th colspan="14"><div style="font: 14pt Tahoma"><b>Trade History Report</b><br></div></th></tr>
<tr align="left"><th colspan="4" nowrap align="right" style="width: 220px; height: 20px">Name:</th><th colspan="10" nowrap align="left"><b>Demo Trader</b></th></tr>
<tr align="left"><th colspan="4" nowrap align="right">Account:</th><th colspan="10" nowrap align="left"><b>12345678&nbsp;(USD,&nbsp;MetaQuotes-Demo,&nbsp;demo,&nbsp;Hedge)</b></th></tr>
<tr align="left"><th colspan="4" nowrap align="right">Company:</th><th colspan="10" nowrap align="left"><b>MetaQuotes Ltd.</b></th></tr>
<tr align="left"><th colspan="4" nowrap align="right">Date:</th><th colspan="10" nowrap align="left"><b>2024.01.05 12:00</b></th></tr>
<tr><td colspan="14" style="height: 10px"></td></tr>
<tr align="center"><th colspan="14" style="height: 25px"><div style="font: 10pt Tahoma"><b>Positions</b></div></th></tr>
<tr align="center" bgcolor="#E5F0FC">
<td nowrap style="height: 30px"><b>Time</b></td>
<td nowrap><b>Position</b></td>
<td nowrap><b>Symbol</b></td>
<td nowrap><b>Type</b></td>
<td class="hidden" colspan="8"></td>
<td nowrap><b>Volume</b></td>
<td nowrap><b>Price</b></td>
<td nowrap><b>S&nbsp;/&nbsp;L</b></td>
<td nowrap><b>T&nbsp;/&nbsp;P</b></td>
<td nowrap><b>Time</b></td>
<td nowrap><b>Price</b></td>
<td nowrap><b>Commission</b></td>
<td nowrap><b>Swap</b></td>
<td nowrap colspan="2"><b>Profit</b></td>
</tr>
${positions.map(positionTr).join('\n')}
<tr align="right"><td nowrap colspan="10" style="height: 30px"></td><td nowrap><b>0.00</b></td><td nowrap><b>0.00</b></td><td nowrap colspan="2"><b>1 219.18</b></td></tr>
<tr><td colspan="14" style="height: 10px"></td></tr>
<tr align="center"><th colspan="14" style="height: 25px"><div style="font: 10pt Tahoma"><b>Orders</b></div></th></tr>
<tr align="center" bgcolor="#E5F0FC"><td nowrap><b>Open Time</b></td><td nowrap><b>Order</b></td><td nowrap><b>Symbol</b></td><td nowrap><b>Type</b></td><td nowrap colspan="2"><b>Volume</b></td><td nowrap><b>Price</b></td><td nowrap><b>S / L</b></td><td nowrap><b>T / P</b></td><td nowrap><b>Time</b></td><td nowrap><b>State</b></td><td nowrap colspan="3"><b>Comment</b></td></tr>
<tr bgcolor="#FFFFFF" align="right"><td>2024.01.02 10:15:23</td><td>1001</td><td>XAUUSD</td><td>buy</td><td colspan="2">0.1 / 0.1</td><td>market</td><td>2050.00</td><td>2080.00</td><td>2024.01.02 10:15:23</td><td>filled</td><td colspan="3"></td></tr>
<tr><td colspan="14" style="height: 10px"></td></tr>
<tr align="center"><th colspan="14" style="height: 25px"><div style="font: 10pt Tahoma"><b>Deals</b></div></th></tr>
<tr align="center" bgcolor="#E5F0FC"><td nowrap><b>Time</b></td><td nowrap><b>Deal</b></td><td nowrap><b>Symbol</b></td><td nowrap><b>Type</b></td><td nowrap><b>Direction</b></td><td nowrap><b>Volume</b></td><td nowrap><b>Price</b></td><td nowrap><b>Order</b></td><td nowrap><b>Commission</b></td><td nowrap><b>Fee</b></td><td nowrap><b>Swap</b></td><td nowrap><b>Profit</b></td><td nowrap><b>Balance</b></td><td nowrap><b>Comment</b></td></tr>
<tr bgcolor="#FFFFFF" align="right"><td>2024.01.01 09:00:00</td><td>5000</td><td></td><td>balance</td><td></td><td></td><td></td><td></td><td>0.00</td><td>0.00</td><td>0.00</td><td>10 000.00</td><td>10 000.00</td><td>Deposit</td></tr>
<tr bgcolor="#F7F7F7" align="right"><td>2024.01.02 10:15:23</td><td>5001</td><td>XAUUSD</td><td>buy</td><td>in</td><td>0.1</td><td>2063.50</td><td>1001</td><td>0.00</td><td>0.00</td><td>0.00</td><td>0.00</td><td>10 000.00</td><td></td></tr>
</table>
</div></body></html>
`;
}
