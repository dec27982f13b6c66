package awssim

import (
	"encoding/xml"
	"fmt"
	"net/http"
)

// WriteQueryResult writes a query-protocol answer (STS, CloudFormation):
// <OperationResponse xmlns=namespace> with result as <OperationResult>
// (empty when nil) and the ResponseMetadata.
func WriteQueryResult(w http.ResponseWriter, namespace, operation string, result any) {
	if result == nil {
		result = struct{}{}
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%sResponse xmlns="%s">`, operation, namespace)
	enc := xml.NewEncoder(w)
	enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: operation + "Result"}})
	enc.Encode(struct {
		XMLName   xml.Name `xml:"ResponseMetadata"`
		RequestId string
	}{RequestId: RequestID()})
	fmt.Fprintf(w, "</%sResponse>", operation)
}

// WriteQueryError writes e as a query-protocol ErrorResponse.
func WriteQueryError(w http.ResponseWriter, namespace string, e *Error) {
	typ := "Sender"
	if e.Status >= 500 {
		typ = "Receiver"
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.Status)
	xml.NewEncoder(w).Encode(struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr"`
		Type      string   `xml:"Error>Type"`
		Code      string   `xml:"Error>Code"`
		Message   string   `xml:"Error>Message"`
		RequestId string
	}{Xmlns: namespace, Type: typ, Code: e.Code, Message: e.Message, RequestId: RequestID()})
}
